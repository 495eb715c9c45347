"""SQLite's statements, as methods of one open transaction.

A `SqliteTransaction` wraps the sqlite3 connection inside the database's own thread (see
`SqliteStore`): its methods are coroutines only to fit the `Transaction` seam; each runs
its statement at once and never suspends, so the store can drive a whole rule on its
thread. sqlite3 caches each prepared statement by its text, so the hot statements are
prepared once per connection.

The generic statements (`execute`, `fetch`, ...) take a statement written once for both
engines, in PostgreSQL's dialect: `$n` placeholders. Why that style rather than named
parameters or a query builder: asyncpg accepts only `$n`, so PostgreSQL runs the text as
written, with nothing between the rule and the server on the hot path; SQLite accepts the
same numbered parameters as `?n`, so the one translation is a textual `$` -> `?` done
once per statement text (`sqlite_sql`, cached). Both engines read the rest alike:
ON CONFLICT ... DO UPDATE, RETURNING, `excluded.`, CAST, and a row count (SQLite's
`rowcount`; PostgreSQL's status line, read in `bot.storage.postgres_tx`). The few
functions SQLite names otherwise are renamed here too (`_FUNCTIONS`). Statements never
hold a `$` inside a string literal.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

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

# The same terms as the partial index jobs_unfinished, so the planner can use it.
_UNFINISHED_SQL = "status <> 'settled' AND status <> 'refunded'"
_JOB_COLUMNS = (
    "id, guild_id, channel_id, user_id, model, prompt, options, seed, cost, allowance_part, "
    "bonus_part, budget_day, period_start, status, provider, message_id, error, created_at, "
    "updated_at, shard, deleted_at"
)


# PostgreSQL's functions that SQLite names otherwise (same arguments, same meaning).
_FUNCTIONS = {"strpos(": "instr("}


@lru_cache(maxsize=1024)
def sqlite_sql(statement: str) -> str:
    """A statement written for PostgreSQL (`$n`) as SQLite runs it (`?n`)."""
    for theirs, ours in _FUNCTIONS.items():
        statement = statement.replace(theirs, ours)
    return re.sub(r"\$(\d+)", r"?\1", statement)


def _job(row: tuple[Any, ...]) -> Job:
    values = list(row)
    values[6] = json.loads(values[6])
    values[13] = JobStatus(values[13])
    return Job(*values)


class SqliteTransaction:
    """The statements fluxcord runs, on a sqlite3 connection inside an open transaction."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    # -- locks -------------------------------------------------------------------------

    async def lock_guild(self, guild_id: int) -> None:
        """Nothing to do: a rule runs whole on the database thread under BEGIN IMMEDIATE."""

    async def lock_member(self, guild_id: int, user_id: int) -> None:
        """Nothing to do, as for `lock_guild`."""

    # -- statements written once for both engines ($n placeholders) ---------------------

    async def execute(self, sql: str, *args: Any) -> int:
        """Runs a statement; returns how many rows it changed."""
        return self._conn.execute(sqlite_sql(sql), args).rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Runs a statement once per row of parameters."""
        self._conn.executemany(sqlite_sql(sql), rows)

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """Every row the statement returns."""
        return self._conn.execute(sqlite_sql(sql), args).fetchall()

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        """The first row the statement returns, or None."""
        row: Sequence[Any] | None = self._conn.execute(sqlite_sql(sql), args).fetchone()
        return row

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = self._conn.execute(sqlite_sql(sql), args).fetchone()
        return row[0] if row else None

    async def fetchnamed(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Every row the statement returns, as column name -> value."""
        cursor = self._conn.execute(sqlite_sql(sql), args)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    # -- server settings ---------------------------------------------------------------

    async def guild_config(self, guild_id: int) -> GuildConfig:
        """The server's own settings (all None when it set nothing)."""
        row = self._conn.execute(
            "SELECT allowance, period_hours, daily_budget, safety_cap, default_model "
            "FROM guild_config WHERE guild_id = ?",
            (guild_id,),
        ).fetchone()
        return GuildConfig(guild_id, *row) if row else GuildConfig(guild_id)

    async def update_guild_config(self, guild_id: int, **values: int | str | None) -> None:
        """Sets the named columns (None: back to the operator's default)."""
        unknown = set(values) - CONFIG_COLUMNS
        if unknown:
            raise ValueError(f"unknown server settings: {sorted(unknown)}")
        names = sorted(values)
        self._conn.execute(
            f"INSERT INTO guild_config (guild_id, {', '.join(names)}) "
            f"VALUES (?{', ?' * len(names)}) "
            f"ON CONFLICT (guild_id) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in names),
            (guild_id, *(values[n] for n in names)),
        )

    async def channel_caps(self, guild_id: int) -> dict[int, int]:
        """Each channel's own safety cap in the server."""
        rows = self._conn.execute(
            "SELECT channel_id, cap FROM channel_safety WHERE guild_id = ?", (guild_id,)
        )
        return dict(rows.fetchall())

    async def set_channel_cap(self, guild_id: int, channel_id: int, cap: int | None) -> None:
        """Sets a channel's safety cap; None removes it."""
        if cap is None:
            self._conn.execute(
                "DELETE FROM channel_safety WHERE guild_id = ? AND channel_id = ?",
                (guild_id, channel_id),
            )
        else:
            self._conn.execute(
                "INSERT INTO channel_safety (guild_id, channel_id, cap) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id, channel_id) DO UPDATE SET cap = excluded.cap",
                (guild_id, channel_id, cap),
            )

    # -- members and the ledger --------------------------------------------------------

    async def member(self, guild_id: int, user_id: int) -> MemberRow | None:
        """The member's stored credit state, or None before their first activity."""
        row = self._conn.execute(
            "SELECT period_start, spent, bonus FROM members WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        ).fetchone()
        return MemberRow(guild_id, user_id, *row) if row else None

    async def put_member(self, member: MemberRow) -> None:
        """Inserts or replaces the member's credit state."""
        self._conn.execute(
            "INSERT INTO members (guild_id, user_id, period_start, spent, bonus) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
            "period_start = excluded.period_start, spent = excluded.spent, "
            "bonus = excluded.bonus",
            (member.guild_id, member.user_id, member.period_start, member.spent, member.bonus),
        )

    async def insert_members(self, members: Iterable[MemberRow]) -> None:
        """Bulk insert of new members (benchmarks, imports)."""
        self._conn.executemany(
            "INSERT INTO members (guild_id, user_id, period_start, spent, bonus) "
            "VALUES (?, ?, ?, ?, ?)",
            ((m.guild_id, m.user_id, m.period_start, m.spent, m.bonus) for m in members),
        )

    async def add_ledger(self, entries: Iterable[LedgerEntry]) -> None:
        """Appends ledger rows."""
        self._conn.executemany(
            "INSERT INTO ledger (guild_id, user_id, bucket, delta, reason, job_id, "
            "period_start, actor_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (e.guild_id, e.user_id, e.bucket, e.delta, e.reason, e.job_id,
                 e.period_start, e.actor_id, e.created_at)
                for e in entries
            ),
        )

    async def ledger(self, guild_id: int, user_id: int) -> list[LedgerEntry]:
        """A member's ledger, oldest first."""
        rows = self._conn.execute(
            "SELECT guild_id, user_id, bucket, delta, reason, job_id, period_start, actor_id, "
            "created_at FROM ledger WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        return [LedgerEntry(*row) for row in rows]

    # -- server budget -----------------------------------------------------------------

    async def budget_spent(self, guild_id: int, day: str) -> int:
        """Credits the server has reserved on the UTC day."""
        row = self._conn.execute(
            "SELECT spent FROM budget_spend WHERE guild_id = ? AND day = ?", (guild_id, day)
        ).fetchone()
        return row[0] if row else 0

    async def add_budget_spend(self, guild_id: int, day: str, delta: int) -> None:
        """Adds to (or, negative, gives back from) the server's spend on the day."""
        if delta < 0:
            # A give-back always has its row; an upsert would check the negative insert.
            self._conn.execute(
                "UPDATE budget_spend SET spent = spent + ? WHERE guild_id = ? AND day = ?",
                (delta, guild_id, day),
            )
            return
        self._conn.execute(
            "INSERT INTO budget_spend (guild_id, day, spent) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, day) DO UPDATE SET spent = spent + excluded.spent",
            (guild_id, day, delta),
        )

    # -- jobs --------------------------------------------------------------------------

    async def insert_job(self, job: Job) -> None:
        """Records a new job."""
        self._conn.execute(
            f"INSERT INTO jobs ({_JOB_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id, job.guild_id, job.channel_id, job.user_id, job.model, job.prompt,
                json.dumps(dict(job.options), separators=(",", ":")), job.seed, job.cost,
                job.allowance_part, job.bonus_part, job.budget_day, job.period_start,
                job.status.value, job.provider, job.message_id, job.error, job.created_at,
                job.updated_at, job.shard, job.deleted_at,
            ),
        )

    async def job(self, job_id: str) -> Job | None:
        """The job, whatever its status."""
        row = self._conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)
        ).fetchone()
        return _job(row) if row else None

    async def unfinished_job(self, job_id: str) -> Job | None:
        """The job if it is queued, generating or posting."""
        row = self._conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ? AND {_UNFINISHED_SQL}",
            (job_id,),
        ).fetchone()
        return _job(row) if row else None

    async def unfinished_jobs(self) -> list[Job]:
        """Every queued, generating or posting job, oldest first."""
        rows = self._conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE {_UNFINISHED_SQL} ORDER BY created_at"
        )
        return [_job(row) for row in rows]

    async def advance_job(
        self,
        job_id: str,
        status: JobStatus,
        now: float,
        *,
        provider: str | None = None,
        message_id: int | None = None,
        error: str | None = None,
    ) -> bool:
        """Moves an unfinished job to `status`; False when it was already finished (or absent).

        The status guard in the WHERE clause is what makes settle and refund exactly-once.
        """
        cursor = self._conn.execute(
            "UPDATE jobs SET status = ?, provider = COALESCE(?, provider), "
            "message_id = COALESCE(?, message_id), error = COALESCE(?, error), "
            f"updated_at = ? WHERE id = ? AND {_UNFINISHED_SQL}",
            (status.value, provider, message_id, error, now, job_id),
        )
        return cursor.rowcount == 1

    async def reduce_job_charge(self, job_id: str, *, expected_cost: int, cost: int,
                                allowance_part: int, bonus_part: int, now: float) -> bool:
        """Lowers an unfinished job's charge; guarded by its status and its cost."""
        cursor = self._conn.execute(
            "UPDATE jobs SET cost = ?, allowance_part = ?, bonus_part = ?, updated_at = ? "
            f"WHERE id = ? AND cost = ? AND {_UNFINISHED_SQL}",
            (cost, allowance_part, bonus_part, now, job_id, expected_cost),
        )
        return cursor.rowcount == 1

    async def delete_result(self, job_id: str, now: float) -> bool:
        """Marks the result deleted and drops its kept input image."""
        cursor = self._conn.execute(
            "UPDATE jobs SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
            (now, job_id))
        self._conn.execute("DELETE FROM job_inputs WHERE job_id = ?", (job_id,))
        return cursor.rowcount == 1

    # -- audit -------------------------------------------------------------------------

    async def members(self) -> list[MemberRow]:
        """Every member row (for the audit)."""
        rows = self._conn.execute(
            "SELECT guild_id, user_id, period_start, spent, bonus FROM members"
        )
        return [MemberRow(*row) for row in rows]

    async def ledger_bonus_sums(self) -> dict[tuple[int, int], int]:
        """The bonus moved per member, by the ledger."""
        rows = self._conn.execute(
            "SELECT guild_id, user_id, SUM(delta) FROM ledger WHERE bucket = ? "
            "GROUP BY guild_id, user_id",
            (BONUS,),
        )
        return {(g, u): total for g, u, total in rows}

    async def ledger_allowance_sums(self) -> dict[tuple[int, int, int], int]:
        """The allowance moved per member and period."""
        rows = self._conn.execute(
            "SELECT guild_id, user_id, period_start, SUM(delta) FROM ledger "
            "WHERE bucket = ? GROUP BY guild_id, user_id, period_start",
            (ALLOWANCE,),
        )
        return {(g, u, p): total for g, u, p, total in rows}

    async def job_ledger_sums(self) -> list[JobLedgerSum]:
        """Every job beside what its ledger rows moved."""
        rows = self._conn.execute(
            "SELECT j.id, j.status, j.cost, j.allowance_part, j.bonus_part, "
            "COALESCE(SUM(CASE WHEN l.bucket = 'allowance' THEN l.delta END), 0), "
            "COALESCE(SUM(CASE WHEN l.bucket = 'bonus' THEN l.delta END), 0), "
            "COUNT(CASE WHEN l.bucket = 'allowance' AND l.period_start != j.period_start "
            "THEN 1 END) "
            "FROM jobs j LEFT JOIN ledger l ON l.job_id = j.id GROUP BY j.id"
        )
        return [
            JobLedgerSum(job_id, JobStatus(status), *rest) for job_id, status, *rest in rows
        ]

    async def ledger_members_without_row(self) -> list[tuple[int, int]]:
        """Members with ledger rows but no member row (should be none)."""
        rows = self._conn.execute(
            "SELECT DISTINCT l.guild_id, l.user_id FROM ledger l LEFT JOIN members m "
            "ON m.guild_id = l.guild_id AND m.user_id = l.user_id WHERE m.user_id IS NULL"
        )
        return [(g, u) for g, u in rows]

    async def budget_rows(self) -> dict[tuple[int, str], int]:
        """The stored spend per server and day."""
        rows = self._conn.execute("SELECT guild_id, day, spent FROM budget_spend")
        return {(g, d): spent for g, d, spent in rows}

    async def job_budget_sums(self) -> dict[tuple[int, str], int]:
        """Credits charged per server and day by jobs that were not refunded."""
        rows = self._conn.execute(
            "SELECT guild_id, budget_day, SUM(cost) FROM jobs WHERE status != ? "
            "GROUP BY guild_id, budget_day",
            (JobStatus.REFUNDED.value,),
        )
        return {(g, d): total for g, d, total in rows}

    # -- meta --------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """A meta value, or None."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        """Stores a meta value."""
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- copying -----------------------------------------------------------------------

    async def dump(self, table: str) -> list[tuple[Any, ...]]:
        """Every row of a table, in the column order of `TABLES`."""
        columns = ", ".join(TABLES[table])  # names from our own table, never user input
        return self._conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()

    async def load(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Inserts rows given in the column order of `TABLES`."""
        columns = TABLES[table]
        self._conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            rows,
        )
