"""PostgreSQL's statements, as methods of one open transaction on an asyncpg connection.

The same statements as `sqlite_tx`, in PostgreSQL's dialect ($n placeholders, COPY for
bulk rows). Each call awaits the server, so the locks are real: `lock_guild` and
`lock_member` take transaction-level advisory locks, released at COMMIT or ROLLBACK.
Advisory locks also cover a member who has no row yet, which SELECT … FOR UPDATE cannot.

The hot writes whose result no rule reads (a member's balance, a job, ledger rows, the
budget) are held back and sent together, as one statement of data-modifying CTEs, just
before the next statement or the COMMIT: a reservation's four writes cost one round trip.
Two held writes never touch the same row (a second write to a row sends the first), so
their order within the statement cannot matter; foreign keys are checked at its end.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import asyncpg

from bot.storage._rows import (
    ALLOWANCE,
    BONUS,
    GuildConfig,
    Job,
    JobLedgerSum,
    JobStatus,
    LedgerEntry,
    MemberRow,
)
from bot.storage.base import CONFIG_COLUMNS, TABLES
from bot.storage.postgres_held import HeldWrites

# The first key of every advisory lock fluxcord takes: what kind of thing is locked.
# (Two-key advisory locks live apart from one-key ones, which other programs tend to use.)
LOCK_MIGRATIONS = 0x464C5800
LOCK_GUILD = 0x464C5801
LOCK_MEMBER = 0x464C5802
# Session locks held for a process's life: one per shard (key: the shard; -1, shared by
# every shard process, exclusive for one that runs them all).
LOCK_SHARD = 0x464C5803
# Held while a process compares and registers the slash commands.
LOCK_COMMANDS = 0x464C5804
# Held while a process books a shard's turn to identify (key: the identify bucket).
LOCK_IDENTIFY = 0x464C5805

_UNFINISHED_SQL = "status <> 'settled' AND status <> 'refunded'"
_JOB_COLUMNS = ", ".join(TABLES["jobs"])


def lock_key(*ids: int) -> int:
    """Folds Discord ids into the signed 32-bit second key of an advisory lock. Two
    things sharing a key only wait for each other; the lock order still holds."""
    key = 0
    for value in ids:
        key = (key * 1_000_003) ^ value
    key = (key ^ (key >> 32) ^ (key >> 64)) & 0xFFFFFFFF
    return key - (1 << 32) if key >= 1 << 31 else key


@lru_cache(maxsize=8)
def _ledger_insert(count: int) -> str:
    values = ", ".join(
        "(" + ", ".join(f"${9 * n + k}" for k in range(1, 10)) + ")" for n in range(count))
    return ("INSERT INTO ledger (guild_id, user_id, bucket, delta, reason, job_id, "
            f"period_start, actor_id, created_at) VALUES {values}")


def row_count(status: str) -> int:
    """The rows a statement changed, from asyncpg's status line ("DELETE 1",
    "INSERT 0 3", "UPDATE 2"): its last number, 0 when it has none."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


def _job(row: asyncpg.Record) -> Job:
    values = list(row)
    values[6] = json.loads(values[6])
    values[13] = JobStatus(values[13])
    return Job(*values)


class PostgresTransaction:
    """The statements fluxcord runs, on an asyncpg connection inside an open transaction."""

    __slots__ = ("_conn",)

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = HeldWrites(conn)

    async def flush(self) -> None:
        """Sends the writes still held back; the store calls it before COMMIT."""
        await self._conn.flush()

    # -- locks -------------------------------------------------------------------------

    async def lock_guild(self, guild_id: int) -> None:
        """Waits for, then holds, the server's lock until the transaction ends."""
        await self._conn.execute("SELECT pg_advisory_xact_lock($1, $2)",
                                 LOCK_GUILD, lock_key(guild_id))

    async def lock_member(self, guild_id: int, user_id: int) -> None:
        """Waits for, then holds, the server's lock and then the member's until the
        transaction ends: one round trip. (The subquery is evaluated first, which keeps
        the order.)"""
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock($3, $4) "
            "FROM (SELECT pg_advisory_xact_lock($1, $2) OFFSET 0) AS server_first",
            LOCK_GUILD, lock_key(guild_id), LOCK_MEMBER, lock_key(guild_id, user_id))

    # -- statements written once for both engines ($n placeholders) ---------------------

    async def execute(self, sql: str, *args: Any) -> int:
        """Runs a statement; returns how many rows it changed."""
        return row_count(await self._conn.execute(sql, *args))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Runs a statement once per row of parameters."""
        await self._conn.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """Every row the statement returns."""
        rows: list[Sequence[Any]] = await self._conn.fetch(sql, *args)
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        """The first row the statement returns, or None."""
        row: Sequence[Any] | None = await self._conn.fetchrow(sql, *args)
        return row

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """The first column of the first row, or None when there is no row."""
        return await self._conn.fetchval(sql, *args)

    async def fetchnamed(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Every row the statement returns, as column name -> value."""
        return [dict(row) for row in await self._conn.fetch(sql, *args)]

    # -- server settings ---------------------------------------------------------------

    async def guild_config(self, guild_id: int) -> GuildConfig:
        row = await self._conn.fetchrow(
            "SELECT allowance, period_hours, daily_budget, safety_cap, default_model "
            "FROM guild_config WHERE guild_id = $1", guild_id)
        return GuildConfig(guild_id, *row) if row else GuildConfig(guild_id)

    async def update_guild_config(self, guild_id: int, **values: int | str | None) -> None:
        unknown = set(values) - CONFIG_COLUMNS
        if unknown:
            raise ValueError(f"unknown server settings: {sorted(unknown)}")
        names = sorted(values)
        placeholders = ", ".join(f"${n}" for n in range(2, len(names) + 2))
        await self._conn.execute(
            f"INSERT INTO guild_config (guild_id, {', '.join(names)}) "
            f"VALUES ($1, {placeholders}) ON CONFLICT (guild_id) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in names),
            guild_id, *(values[n] for n in names),
        )

    async def channel_caps(self, guild_id: int) -> dict[int, int]:
        rows = await self._conn.fetch(
            "SELECT channel_id, cap FROM channel_safety WHERE guild_id = $1", guild_id)
        return {r[0]: r[1] for r in rows}

    async def set_channel_cap(self, guild_id: int, channel_id: int, cap: int | None) -> None:
        if cap is None:
            await self._conn.execute(
                "DELETE FROM channel_safety WHERE guild_id = $1 AND channel_id = $2",
                guild_id, channel_id)
        else:
            await self._conn.execute(
                "INSERT INTO channel_safety (guild_id, channel_id, cap) VALUES ($1, $2, $3) "
                "ON CONFLICT (guild_id, channel_id) DO UPDATE SET cap = excluded.cap",
                guild_id, channel_id, cap)

    # -- members and the ledger --------------------------------------------------------

    async def member(self, guild_id: int, user_id: int) -> MemberRow | None:
        row = await self._conn.fetchrow(
            "SELECT period_start, spent, bonus FROM members "
            "WHERE guild_id = $1 AND user_id = $2", guild_id, user_id)
        return MemberRow(guild_id, user_id, *row) if row else None

    async def put_member(self, member: MemberRow) -> None:
        await self._conn.defer(
            ("members", member.guild_id, member.user_id),
            "INSERT INTO members (guild_id, user_id, period_start, spent, bonus) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
            "period_start = excluded.period_start, spent = excluded.spent, "
            "bonus = excluded.bonus",
            member.guild_id, member.user_id, member.period_start, member.spent, member.bonus)

    async def insert_members(self, members: Iterable[MemberRow]) -> None:
        await self._conn.copy_records_to_table(
            "members", columns=TABLES["members"],
            records=[(m.guild_id, m.user_id, m.period_start, m.spent, m.bonus)
                     for m in members])

    async def add_ledger(self, entries: Iterable[LedgerEntry]) -> None:
        # One INSERT for all the entries: their ids then follow their order.
        rows = [(e.guild_id, e.user_id, e.bucket, e.delta, e.reason, e.job_id,
                 e.period_start, e.actor_id, e.created_at) for e in entries]
        if rows:
            await self._conn.defer(None, _ledger_insert(len(rows)),
                                   *(value for row in rows for value in row))

    async def ledger(self, guild_id: int, user_id: int) -> list[LedgerEntry]:
        rows = await self._conn.fetch(
            "SELECT guild_id, user_id, bucket, delta, reason, job_id, period_start, actor_id, "
            "created_at FROM ledger WHERE guild_id = $1 AND user_id = $2 ORDER BY id",
            guild_id, user_id)
        return [LedgerEntry(*row) for row in rows]

    # -- server budget -----------------------------------------------------------------

    async def budget_spent(self, guild_id: int, day: str) -> int:
        spent = await self._conn.fetchval(
            "SELECT spent FROM budget_spend WHERE guild_id = $1 AND day = $2", guild_id, day)
        return spent or 0

    async def add_budget_spend(self, guild_id: int, day: str, delta: int) -> None:
        row = ("budget_spend", guild_id, day)
        if delta < 0:
            await self._conn.defer(
                row,
                "UPDATE budget_spend SET spent = spent + $1 WHERE guild_id = $2 AND day = $3",
                delta, guild_id, day)
            return
        await self._conn.defer(
            row,
            "INSERT INTO budget_spend (guild_id, day, spent) VALUES ($1, $2, $3) "
            "ON CONFLICT (guild_id, day) DO UPDATE SET spent = budget_spend.spent + "
            "excluded.spent", guild_id, day, delta)

    # -- jobs --------------------------------------------------------------------------

    async def insert_job(self, job: Job) -> None:
        await self._conn.defer(
            ("jobs", job.id),
            f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
            job.id, job.guild_id, job.channel_id, job.user_id, job.model, job.prompt,
            json.dumps(dict(job.options), separators=(",", ":")), job.seed, job.cost,
            job.allowance_part, job.bonus_part, job.budget_day, job.period_start,
            job.status.value, job.provider, job.message_id, job.error, job.created_at,
            job.updated_at, job.shard, job.deleted_at)

    async def job(self, job_id: str) -> Job | None:
        row = await self._conn.fetchrow(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = $1",
                                        job_id)
        return _job(row) if row else None

    async def unfinished_job(self, job_id: str) -> Job | None:
        row = await self._conn.fetchrow(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = $1 AND {_UNFINISHED_SQL}", job_id)
        return _job(row) if row else None

    async def unfinished_jobs(self) -> list[Job]:
        rows = await self._conn.fetch(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE {_UNFINISHED_SQL} ORDER BY created_at")
        return [_job(row) for row in rows]

    async def advance_job(self, job_id: str, status: JobStatus, now: float, *,
                          provider: str | None = None, message_id: int | None = None,
                          error: str | None = None) -> bool:
        # Under READ COMMITTED a concurrent UPDATE of the row makes this one wait and then
        # re-check the WHERE clause: settle and refund stay exactly-once across processes.
        status_line = await self._conn.execute(
            "UPDATE jobs SET status = $1, provider = COALESCE($2, provider), "
            "message_id = COALESCE($3, message_id), error = COALESCE($4, error), "
            f"updated_at = $5 WHERE id = $6 AND {_UNFINISHED_SQL}",
            status.value, provider, message_id, error, now, job_id)
        return bool(status_line == "UPDATE 1")

    async def reduce_job_charge(self, job_id: str, *, expected_cost: int, cost: int,
                                allowance_part: int, bonus_part: int, now: float) -> bool:
        # The cost in the WHERE clause makes a second, concurrent reduction a no-op.
        status_line = await self._conn.execute(
            "UPDATE jobs SET cost = $1, allowance_part = $2, bonus_part = $3, updated_at = $4 "
            f"WHERE id = $5 AND cost = $6 AND {_UNFINISHED_SQL}",
            cost, allowance_part, bonus_part, now, job_id, expected_cost)
        return bool(status_line == "UPDATE 1")

    async def delete_result(self, job_id: str, now: float) -> bool:
        status_line = await self._conn.execute(
            "UPDATE jobs SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
            now, job_id)
        await self._conn.execute("DELETE FROM job_inputs WHERE job_id = $1", job_id)
        return bool(status_line == "UPDATE 1")

    # -- audit -------------------------------------------------------------------------

    async def members(self) -> list[MemberRow]:
        rows = await self._conn.fetch(
            "SELECT guild_id, user_id, period_start, spent, bonus FROM members")
        return [MemberRow(*row) for row in rows]

    async def ledger_bonus_sums(self) -> dict[tuple[int, int], int]:
        rows = await self._conn.fetch(
            "SELECT guild_id, user_id, SUM(delta) FROM ledger WHERE bucket = $1 "
            "GROUP BY guild_id, user_id", BONUS)
        return {(g, u): total for g, u, total in rows}

    async def ledger_allowance_sums(self) -> dict[tuple[int, int, int], int]:
        rows = await self._conn.fetch(
            "SELECT guild_id, user_id, period_start, SUM(delta) FROM ledger "
            "WHERE bucket = $1 GROUP BY guild_id, user_id, period_start", ALLOWANCE)
        return {(g, u, p): total for g, u, p, total in rows}

    async def job_ledger_sums(self) -> list[JobLedgerSum]:
        rows = await self._conn.fetch(
            "SELECT j.id, j.status, j.cost, j.allowance_part, j.bonus_part, "
            "COALESCE(SUM(CASE WHEN l.bucket = 'allowance' THEN l.delta END), 0), "
            "COALESCE(SUM(CASE WHEN l.bucket = 'bonus' THEN l.delta END), 0), "
            "COUNT(CASE WHEN l.bucket = 'allowance' AND l.period_start <> j.period_start "
            "THEN 1 END) "
            "FROM jobs j LEFT JOIN ledger l ON l.job_id = j.id GROUP BY j.id")
        return [JobLedgerSum(r[0], JobStatus(r[1]), *r[2:]) for r in rows]

    async def ledger_members_without_row(self) -> list[tuple[int, int]]:
        rows = await self._conn.fetch(
            "SELECT DISTINCT l.guild_id, l.user_id FROM ledger l LEFT JOIN members m "
            "ON m.guild_id = l.guild_id AND m.user_id = l.user_id WHERE m.user_id IS NULL")
        return [(g, u) for g, u in rows]

    async def budget_rows(self) -> dict[tuple[int, str], int]:
        rows = await self._conn.fetch("SELECT guild_id, day, spent FROM budget_spend")
        return {(g, d): spent for g, d, spent in rows}

    async def job_budget_sums(self) -> dict[tuple[int, str], int]:
        rows = await self._conn.fetch(
            "SELECT guild_id, budget_day, SUM(cost) FROM jobs WHERE status <> $1 "
            "GROUP BY guild_id, budget_day", JobStatus.REFUNDED.value)
        return {(g, d): total for g, d, total in rows}

    # -- meta --------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        value: str | None = await self._conn.fetchval(
            "SELECT value FROM meta WHERE key = $1", key)
        return value

    async def set_meta(self, key: str, value: str) -> None:
        await self._conn.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)

    # -- copying -----------------------------------------------------------------------

    async def dump(self, table: str) -> list[tuple[Any, ...]]:
        """Every row of a table, in the column order of `TABLES`."""
        rows = await self._conn.fetch(f"SELECT {', '.join(TABLES[table])} FROM {table} "
                                      "ORDER BY 1")
        return [tuple(row) for row in rows]

    async def load(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Inserts rows given in the column order of `TABLES` (COPY: one round trip)."""
        await self._conn.copy_records_to_table(table, columns=TABLES[table], records=rows)
        if table == "ledger":
            # Copied ids were given explicitly; new rows must be numbered after them.
            await self._conn.execute(
                "SELECT setval(pg_get_serial_sequence('ledger', 'id'), "
                "COALESCE(MAX(id), 0) + 1, false) FROM ledger")
