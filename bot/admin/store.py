"""What server administration keeps: forbidden models, the log channel, the alerts
already sent, and the rows a credit report is built from; the rows, and every statement,
written once for both engines."""

from __future__ import annotations

from dataclasses import dataclass

from bot.credits.rows import LedgerEntry
from bot.storage.base import Statements

_REPORT_SQL = (
    "SELECT l.id, l.created_at, l.user_id, l.delta, l.bucket, l.reason, l.job_id, j.model "
    "FROM ledger l LEFT JOIN jobs j ON j.id = l.job_id "
    "WHERE l.guild_id = $1 AND l.created_at >= $2 AND l.id > $3 {member}"
    "ORDER BY l.id LIMIT $4"
)


@dataclass(frozen=True, slots=True)
class LogChannel:
    """Where a server's admin events go, who chose it, and whether that admin has been told
    the bot may not post there."""

    guild_id: int
    channel_id: int
    set_by: int
    warned: bool


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One ledger row of a credit report, with its job's model."""

    id: int
    created_at: float
    user_id: int
    delta: int
    bucket: str
    reason: str
    job_id: str | None
    model: str | None


@dataclass(frozen=True, slots=True)
class JobCount:
    """Jobs of one member and model with one outcome, and what they cost."""

    user_id: int
    model: str
    status: str
    jobs: int
    cost: int


async def forbidden_models(tx: Statements, guild_id: int) -> set[str]:
    """The models the server forbids."""
    rows = await tx.fetch(
        "SELECT model FROM forbidden_models WHERE guild_id = $1", guild_id)
    return {row[0] for row in rows}


async def set_model_forbidden(tx: Statements, guild_id: int, model: str, forbidden: bool) -> None:
    """Forbids a model in the server, or allows it again."""
    if forbidden:
        await tx.execute(
            "INSERT INTO forbidden_models (guild_id, model) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING", guild_id, model)
    else:
        await tx.execute(
            "DELETE FROM forbidden_models WHERE guild_id = $1 AND model = $2",
            guild_id, model)


async def log_channel(tx: Statements, guild_id: int) -> LogChannel | None:
    """The server's log channel, if it has one."""
    row = await tx.fetchrow(
        "SELECT guild_id, channel_id, set_by, warned FROM log_channels "
        "WHERE guild_id = $1", guild_id)
    return LogChannel(row[0], row[1], row[2], bool(row[3])) if row else None


async def set_log_channel(tx: Statements, guild_id: int, channel_id: int | None, set_by: int
                          ) -> None:
    """Sets (None: removes) the server's log channel; a new one is not warned yet."""
    if channel_id is None:
        await tx.execute("DELETE FROM log_channels WHERE guild_id = $1", guild_id)
        return
    await tx.execute(
        "INSERT INTO log_channels (guild_id, channel_id, set_by, warned) "
        "VALUES ($1, $2, $3, 0) ON CONFLICT (guild_id) DO UPDATE SET "
        "channel_id = excluded.channel_id, set_by = excluded.set_by, warned = 0",
        guild_id, channel_id, set_by)


async def mark_log_warned(tx: Statements, guild_id: int, channel_id: int) -> bool:
    """Records that the admin was told about this log channel; False if they already
    were (or the channel changed meanwhile)."""
    return await tx.execute(
        "UPDATE log_channels SET warned = 1 "
        "WHERE guild_id = $1 AND channel_id = $2 AND warned = 0", guild_id, channel_id) == 1


async def claim_alert(tx: Statements, guild_id: int, day: str, level: int) -> bool:
    """True the first time (guild, day, level) is claimed, in any process."""
    return await tx.execute(
        "INSERT INTO admin_alerts (guild_id, day, level) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING", guild_id, day, level) == 1


async def ledger_page(tx: Statements, guild_id: int, user_id: int, offset: int, limit: int
                      ) -> tuple[int, list[LedgerEntry]]:
    """How many ledger rows the member has, and `limit` of them from `offset`,
    newest first."""
    total = await tx.fetchval(
        "SELECT COUNT(*) FROM ledger WHERE guild_id = $1 AND user_id = $2",
        guild_id, user_id)
    rows = await tx.fetch(
        "SELECT guild_id, user_id, bucket, delta, reason, job_id, period_start, actor_id, "
        "created_at FROM ledger WHERE guild_id = $1 AND user_id = $2 "
        "ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
        guild_id, user_id, limit, offset)
    return int(total), [LedgerEntry(*row) for row in rows]


async def report_rows(tx: Statements, guild_id: int, since: float, user_id: int | None,
                      after_id: int, limit: int) -> list[ReportRow]:
    """Up to `limit` ledger rows of the server from `since` (of one member if given),
    with ids above `after_id`, in id order: one page of a report."""
    if user_id is None:
        rows = await tx.fetch(_REPORT_SQL.format(member=""),
                              guild_id, since, after_id, limit)
    else:
        rows = await tx.fetch(_REPORT_SQL.format(member="AND l.user_id = $5 "),
                              guild_id, since, after_id, limit, user_id)
    return [ReportRow(*row) for row in rows]


async def job_counts(tx: Statements, guild_id: int, since: float, user_id: int | None
                     ) -> list[JobCount]:
    """The server's jobs from `since`, counted per member, model and status."""
    member = "" if user_id is None else "AND user_id = $3 "
    args: tuple[object, ...] = (guild_id, since) + (() if user_id is None else (user_id,))
    rows = await tx.fetch(
        "SELECT user_id, model, status, COUNT(*), SUM(cost) FROM jobs "
        f"WHERE guild_id = $1 AND created_at >= $2 {member}"
        "GROUP BY user_id, model, status", *args)
    return [JobCount(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in rows]


async def language(tx: Statements, guild_id: int) -> str | None:
    """The Discord locale chosen for the server's shared texts, if any."""
    rows = await tx.fetch("SELECT locale FROM server_languages WHERE guild_id = $1", guild_id)
    return str(rows[0][0]) if rows else None


async def has_log_channel_and_language(tx: Statements, guild_id: int
                                       ) -> tuple[bool, str | None]:
    """Whether the server has a log channel, and its language (see `language`): one
    statement, on the way of every job."""
    row = await tx.fetchrow(
        "SELECT (SELECT count(*) FROM log_channels WHERE guild_id = $1), "
        "(SELECT locale FROM server_languages WHERE guild_id = $1)", guild_id)
    assert row is not None  # a SELECT without FROM returns its one row
    return bool(row[0]), row[1]


async def set_language(tx: Statements, guild_id: int, locale: str) -> None:
    """Chooses the language of the server's shared texts."""
    await tx.execute(
        "INSERT INTO server_languages (guild_id, locale) VALUES ($1, $2) "
        "ON CONFLICT (guild_id) DO UPDATE SET locale = excluded.locale", guild_id, locale)
