"""What credits keep: the server settings, members' balances, the ledger, the server
budget, the jobs (the credit side of each, and where it is) and the role tiers. Every
statement written once for both engines.

The hot writes whose result no rule reads (a member's balance, a job, ledger rows, the
budget) go through `defer`: an engine may send them together with the next statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.credits.rows import (
    ALLOWANCE,
    BONUS,
    GuildConfig,
    Job,
    JobLedgerSum,
    JobStatus,
    LedgerEntry,
    MemberRow,
)
from bot.storage.base import Statements

# Columns a server admin may set; the names are interpolated, never user input.
CONFIG_COLUMNS = frozenset({"allowance", "period_hours", "daily_budget", "safety_cap",
                            "default_model"})
MEMBER_COLUMNS = ("guild_id", "user_id", "period_start", "spent", "bonus")
JOB_COLUMNS = ("id", "guild_id", "channel_id", "user_id", "model", "prompt", "options",
               "seed", "cost", "allowance_part", "bonus_part", "budget_day", "period_start",
               "status", "provider", "message_id", "error", "created_at", "updated_at",
               "shard", "deleted_at")
_JOB_COLUMNS = ", ".join(JOB_COLUMNS)
# The same terms as the partial index jobs_unfinished, so the planner can use it.
_UNFINISHED_SQL = "status <> 'settled' AND status <> 'refunded'"


@lru_cache(maxsize=8)
def _ledger_insert(count: int) -> str:
    """One INSERT of `count` ledger rows: their ids then follow their order."""
    values = ", ".join(
        "(" + ", ".join(f"${9 * n + k}" for k in range(1, 10)) + ")" for n in range(count))
    return ("INSERT INTO ledger (guild_id, user_id, bucket, delta, reason, job_id, "
            f"period_start, actor_id, created_at) VALUES {values}")


def _job(row: Sequence[Any]) -> Job:
    values = list(row)
    values[6] = json.loads(values[6])
    values[13] = JobStatus(values[13])
    return Job(*values)


@dataclass(frozen=True, slots=True)
class RoleTier:
    """A role's own allowance in a server (and its period, None: the server's)."""

    guild_id: int
    role_id: int
    allowance: int
    period_hours: int | None


async def role_tiers(tx: Statements, guild_id: int) -> list[RoleTier]:
    """The server's role tiers."""
    rows = await tx.fetch(
        "SELECT guild_id, role_id, allowance, period_hours FROM role_tiers "
        "WHERE guild_id = $1 ORDER BY allowance DESC, role_id", guild_id)
    return [RoleTier(*row) for row in rows]


async def set_role_tier(tx: Statements, tier: RoleTier) -> None:
    """Inserts or replaces a role's tier."""
    await tx.execute(
        "INSERT INTO role_tiers (guild_id, role_id, allowance, period_hours) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (guild_id, role_id) DO UPDATE SET "
        "allowance = excluded.allowance, period_hours = excluded.period_hours",
        tier.guild_id, tier.role_id, tier.allowance, tier.period_hours)


async def remove_role_tier(tx: Statements, guild_id: int, role_id: int) -> bool:
    """Removes a role's tier; False when it had none."""
    return await tx.execute(
        "DELETE FROM role_tiers WHERE guild_id = $1 AND role_id = $2", guild_id, role_id) == 1


async def guild_config(tx: Statements, guild_id: int) -> GuildConfig:
    """The server's own settings (all None when it set nothing)."""
    row = await tx.fetchrow(
        "SELECT allowance, period_hours, daily_budget, safety_cap, default_model "
        "FROM guild_config WHERE guild_id = $1", guild_id)
    return GuildConfig(guild_id, *row) if row else GuildConfig(guild_id)


async def update_guild_config(tx: Statements, guild_id: int, **values: int | str | None) -> None:
    """Sets the named columns (None: back to the operator's default)."""
    unknown = set(values) - CONFIG_COLUMNS
    if unknown:
        raise ValueError(f"unknown server settings: {sorted(unknown)}")
    names = sorted(values)
    placeholders = ", ".join(f"${n}" for n in range(2, len(names) + 2))
    await tx.execute(
        f"INSERT INTO guild_config (guild_id, {', '.join(names)}) "
        f"VALUES ($1, {placeholders}) ON CONFLICT (guild_id) DO UPDATE SET "
        + ", ".join(f"{n} = excluded.{n}" for n in names),
        guild_id, *(values[n] for n in names),
    )


async def channel_caps(tx: Statements, guild_id: int) -> dict[int, int]:
    """Each channel's own safety cap in the server."""
    rows = await tx.fetch(
        "SELECT channel_id, cap FROM channel_safety WHERE guild_id = $1", guild_id)
    return {r[0]: r[1] for r in rows}


# A server's settings as the first row of a statement of tagged rows (tag 1), in the
# columns of `GuildConfig` after its id.
_CONFIG_ROW = ("SELECT 1, allowance, period_hours, daily_budget, safety_cap, default_model "
               "FROM guild_config WHERE guild_id = $1 ")


async def config_and_caps(tx: Statements, guild_id: int
                          ) -> tuple[GuildConfig, dict[int, int]]:
    """`guild_config` and `channel_caps` in one statement, on the way of every job."""
    rows = await tx.fetch(
        f"{_CONFIG_ROW}UNION ALL SELECT 2, channel_id, cap, NULL, NULL, NULL "
        "FROM channel_safety WHERE guild_id = $1", guild_id)
    config, caps = GuildConfig(guild_id), {}
    for kind, *values in rows:
        if kind == 1:
            config = GuildConfig(guild_id, *values)
        else:
            caps[values[0]] = values[1]
    return config, caps


async def set_channel_cap(tx: Statements, guild_id: int, channel_id: int, cap: int | None) -> None:
    """Sets a channel's safety cap; None removes it."""
    if cap is None:
        await tx.execute(
            "DELETE FROM channel_safety WHERE guild_id = $1 AND channel_id = $2",
            guild_id, channel_id)
    else:
        await tx.execute(
            "INSERT INTO channel_safety (guild_id, channel_id, cap) VALUES ($1, $2, $3) "
            "ON CONFLICT (guild_id, channel_id) DO UPDATE SET cap = excluded.cap",
            guild_id, channel_id, cap)


async def member(tx: Statements, guild_id: int, user_id: int) -> MemberRow | None:
    """The member's stored credit state, or None before their first activity."""
    row = await tx.fetchrow(
        "SELECT period_start, spent, bonus FROM members "
        "WHERE guild_id = $1 AND user_id = $2", guild_id, user_id)
    return MemberRow(guild_id, user_id, *row) if row else None


@dataclass(frozen=True, slots=True)
class MemberCredits:
    """What a credit rule reads of a server and a member, read together."""

    config: GuildConfig
    member: MemberRow | None  # None before their first activity
    tiers: list[RoleTier]  # the server's role tiers (empty when not asked for)
    budget_spent: int  # credits the server reserved on the day asked for


# The member's own rows: one lookup per table, each row tagged with its table (no join:
# SQLite's planner then wants no statistics, and PRAGMA optimize at close, nothing to
# analyze; the role tiers, a scan of the server's, are read only when asked for).
_MEMBER_CREDITS = (
    f"{_CONFIG_ROW}UNION ALL SELECT 2, period_start, spent, bonus, NULL, NULL "
    "FROM members WHERE guild_id = $1 AND user_id = $2 "
    "UNION ALL SELECT 3, spent, NULL, NULL, NULL, NULL "
    "FROM budget_spend WHERE guild_id = $1 AND day = $3")
_MEMBER_CREDITS_TIERS = (
    f"{_MEMBER_CREDITS} UNION ALL SELECT 4, role_id, allowance, period_hours, NULL, NULL "
    "FROM role_tiers WHERE guild_id = $1")


async def member_credits(tx: Statements, guild_id: int, user_id: int, day: str,
                         *, tiers: bool) -> MemberCredits:
    """The server's settings, the member's row, the server's spend on `day` and (with
    `tiers`) its role tiers: one statement instead of four, on the way of every job."""
    rows = await tx.fetch(_MEMBER_CREDITS_TIERS if tiers else _MEMBER_CREDITS,
                          guild_id, user_id, day)
    config, member, spent = GuildConfig(guild_id), None, 0
    found: list[RoleTier] = []
    for kind, *values in rows:
        if kind == 1:
            config = GuildConfig(guild_id, *values)
        elif kind == 2:
            member = MemberRow(guild_id, user_id, *values[:3])
        elif kind == 3:
            spent = values[0]
        else:
            found.append(RoleTier(guild_id, *values[:3]))
    return MemberCredits(config, member, found, spent)


async def put_member(tx: Statements, member: MemberRow) -> None:
    """Inserts or replaces the member's credit state."""
    await tx.defer(
        ("members", member.guild_id, member.user_id),
        "INSERT INTO members (guild_id, user_id, period_start, spent, bonus) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
        "period_start = excluded.period_start, spent = excluded.spent, "
        "bonus = excluded.bonus",
        member.guild_id, member.user_id, member.period_start, member.spent, member.bonus)


async def insert_members(tx: Statements, members: Iterable[MemberRow]) -> None:
    """Bulk insert of new members (benchmarks, imports)."""
    await tx.copy_in("members", MEMBER_COLUMNS,
                     [(m.guild_id, m.user_id, m.period_start, m.spent, m.bonus)
                      for m in members])


async def add_ledger(tx: Statements, entries: Iterable[LedgerEntry]) -> None:
    """Appends ledger rows."""
    # One INSERT for all the entries: their ids then follow their order.
    rows = [(e.guild_id, e.user_id, e.bucket, e.delta, e.reason, e.job_id,
             e.period_start, e.actor_id, e.created_at) for e in entries]
    if rows:
        await tx.defer(None, _ledger_insert(len(rows)),
                       *(value for row in rows for value in row))


async def ledger(tx: Statements, guild_id: int, user_id: int) -> list[LedgerEntry]:
    """A member's ledger, oldest first."""
    rows = await tx.fetch(
        "SELECT guild_id, user_id, bucket, delta, reason, job_id, period_start, actor_id, "
        "created_at FROM ledger WHERE guild_id = $1 AND user_id = $2 ORDER BY id",
        guild_id, user_id)
    return [LedgerEntry(*row) for row in rows]


async def budget_spent(tx: Statements, guild_id: int, day: str) -> int:
    """Credits the server has reserved on the UTC day."""
    spent = await tx.fetchval(
        "SELECT spent FROM budget_spend WHERE guild_id = $1 AND day = $2", guild_id, day)
    return spent or 0


async def add_budget_spend(tx: Statements, guild_id: int, day: str, delta: int) -> None:
    """Adds to (or, negative, gives back from) the server's spend on the day."""
    row = ("budget_spend", guild_id, day)
    if delta < 0:
        await tx.defer(
            row,
            "UPDATE budget_spend SET spent = spent + $1 WHERE guild_id = $2 AND day = $3",
            delta, guild_id, day)
        return
    await tx.defer(
        row,
        "INSERT INTO budget_spend (guild_id, day, spent) VALUES ($1, $2, $3) "
        "ON CONFLICT (guild_id, day) DO UPDATE SET spent = budget_spend.spent + "
        "excluded.spent", guild_id, day, delta)


async def insert_job(tx: Statements, job: Job) -> None:
    """Records a new job."""
    await tx.defer(
        ("jobs", job.id),
        f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        job.id, job.guild_id, job.channel_id, job.user_id, job.model, job.prompt,
        json.dumps(dict(job.options), separators=(",", ":")), job.seed, job.cost,
        job.allowance_part, job.bonus_part, job.budget_day, job.period_start,
        job.status.value, job.provider, job.message_id, job.error, job.created_at,
        job.updated_at, job.shard, job.deleted_at)


async def job(tx: Statements, job_id: str) -> Job | None:
    """The job, whatever its status."""
    row = await tx.fetchrow(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = $1", job_id)
    return _job(row) if row else None


async def unfinished_job(tx: Statements, job_id: str) -> Job | None:
    """The job if it is queued, generating or posting."""
    row = await tx.fetchrow(
        f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = $1 AND {_UNFINISHED_SQL}", job_id)
    return _job(row) if row else None


async def unfinished_jobs(tx: Statements) -> list[Job]:
    """Every queued, generating or posting job, oldest first."""
    rows = await tx.fetch(
        f"SELECT {_JOB_COLUMNS} FROM jobs WHERE {_UNFINISHED_SQL} ORDER BY created_at")
    return [_job(row) for row in rows]


async def advance_job(tx: Statements, job_id: str, status: JobStatus, now: float, *,
                      provider: str | None = None, message_id: int | None = None,
                      error: str | None = None) -> bool:
    """Moves an unfinished job to `status`; False when it was already finished (or
    absent). The status guard is what makes settle and refund exactly-once."""
    # Under READ COMMITTED a concurrent UPDATE of the row makes this one wait and then
    # re-check the WHERE clause: settle and refund stay exactly-once across processes.
    changed = await tx.execute(
        "UPDATE jobs SET status = $1, provider = COALESCE($2, provider), "
        "message_id = COALESCE($3, message_id), error = COALESCE($4, error), "
        f"updated_at = $5 WHERE id = $6 AND {_UNFINISHED_SQL}",
        status.value, provider, message_id, error, now, job_id)
    return changed == 1


async def reduce_job_charge(tx: Statements, job_id: str, *, expected_cost: int, cost: int,
                            allowance_part: int, bonus_part: int, now: float) -> bool:
    """Lowers an unfinished job's charge (some of its images failed); False when the
    job is finished, absent, or no longer costs `expected_cost`."""
    # The cost in the WHERE clause makes a second, concurrent reduction a no-op.
    changed = await tx.execute(
        "UPDATE jobs SET cost = $1, allowance_part = $2, bonus_part = $3, updated_at = $4 "
        f"WHERE id = $5 AND cost = $6 AND {_UNFINISHED_SQL}",
        cost, allowance_part, bonus_part, now, job_id, expected_cost)
    return changed == 1


async def delete_result(tx: Statements, job_id: str, now: float) -> bool:
    """Marks the job's result deleted and drops the files kept of it (its posted
    images and its input); False when it was already deleted or is unknown."""
    changed = await tx.execute(
        "UPDATE jobs SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
        now, job_id)
    await tx.execute("DELETE FROM job_inputs WHERE job_id = $1", job_id)
    return changed == 1


async def members(tx: Statements) -> list[MemberRow]:
    """Every member row (for the audit)."""
    rows = await tx.fetch(
        "SELECT guild_id, user_id, period_start, spent, bonus FROM members")
    return [MemberRow(*row) for row in rows]


async def ledger_bonus_sums(tx: Statements) -> dict[tuple[int, int], int]:
    """The bonus moved per member, by the ledger."""
    rows = await tx.fetch(
        "SELECT guild_id, user_id, SUM(delta) FROM ledger WHERE bucket = $1 "
        "GROUP BY guild_id, user_id", BONUS)
    return {(g, u): total for g, u, total in rows}


async def ledger_allowance_sums(tx: Statements) -> dict[tuple[int, int, int], int]:
    """The allowance moved per member and period."""
    rows = await tx.fetch(
        "SELECT guild_id, user_id, period_start, SUM(delta) FROM ledger "
        "WHERE bucket = $1 GROUP BY guild_id, user_id, period_start", ALLOWANCE)
    return {(g, u, p): total for g, u, p, total in rows}


async def job_ledger_sums(tx: Statements) -> list[JobLedgerSum]:
    """Every job beside what its ledger rows moved."""
    rows = await tx.fetch(
        "SELECT j.id, j.status, j.cost, j.allowance_part, j.bonus_part, "
        "COALESCE(SUM(CASE WHEN l.bucket = 'allowance' THEN l.delta END), 0), "
        "COALESCE(SUM(CASE WHEN l.bucket = 'bonus' THEN l.delta END), 0), "
        "COUNT(CASE WHEN l.bucket = 'allowance' AND l.period_start <> j.period_start "
        "THEN 1 END) "
        "FROM jobs j LEFT JOIN ledger l ON l.job_id = j.id GROUP BY j.id")
    return [JobLedgerSum(r[0], JobStatus(r[1]), *r[2:]) for r in rows]


async def ledger_members_without_row(tx: Statements) -> list[tuple[int, int]]:
    """Members with ledger rows but no member row (should be none)."""
    rows = await tx.fetch(
        "SELECT DISTINCT l.guild_id, l.user_id FROM ledger l LEFT JOIN members m "
        "ON m.guild_id = l.guild_id AND m.user_id = l.user_id WHERE m.user_id IS NULL")
    return [(g, u) for g, u in rows]


async def budget_rows(tx: Statements) -> dict[tuple[int, str], int]:
    """The stored spend per server and day."""
    rows = await tx.fetch("SELECT guild_id, day, spent FROM budget_spend")
    return {(g, d): spent for g, d, spent in rows}


async def job_budget_sums(tx: Statements) -> dict[tuple[int, str], int]:
    """Credits charged per server and day by jobs that were not refunded."""
    rows = await tx.fetch(
        "SELECT guild_id, budget_day, SUM(cost) FROM jobs WHERE status <> $1 "
        "GROUP BY guild_id, budget_day", JobStatus.REFUNDED.value)
    return {(g, d): total for g, d, total in rows}
