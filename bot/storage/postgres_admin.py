"""PostgreSQL's statements of server administration (see `admin_base`), mixed into
`PostgresTransaction`."""

from __future__ import annotations

from typing import Any

from bot.storage._rows import LedgerEntry
from bot.storage.admin_rows import JobCount, LogChannel, ReportRow, RoleTier

_REPORT_SQL = (
    "SELECT l.id, l.created_at, l.user_id, l.delta, l.bucket, l.reason, l.job_id, j.model "
    "FROM ledger l LEFT JOIN jobs j ON j.id = l.job_id "
    "WHERE l.guild_id = $1 AND l.created_at >= $2 AND l.id > $3 {member}"
    "ORDER BY l.id LIMIT $4"
)


class PostgresAdminStatements:
    """The administration statements, on `self._conn` inside an open transaction."""

    __slots__ = ()
    _conn: Any

    async def role_tiers(self, guild_id: int) -> list[RoleTier]:
        rows = await self._conn.fetch(
            "SELECT guild_id, role_id, allowance, period_hours FROM role_tiers "
            "WHERE guild_id = $1 ORDER BY allowance DESC, role_id", guild_id)
        return [RoleTier(*row) for row in rows]

    async def set_role_tier(self, tier: RoleTier) -> None:
        await self._conn.execute(
            "INSERT INTO role_tiers (guild_id, role_id, allowance, period_hours) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (guild_id, role_id) DO UPDATE SET "
            "allowance = excluded.allowance, period_hours = excluded.period_hours",
            tier.guild_id, tier.role_id, tier.allowance, tier.period_hours)

    async def remove_role_tier(self, guild_id: int, role_id: int) -> bool:
        status = await self._conn.execute(
            "DELETE FROM role_tiers WHERE guild_id = $1 AND role_id = $2", guild_id, role_id)
        return bool(status == "DELETE 1")

    async def forbidden_models(self, guild_id: int) -> set[str]:
        rows = await self._conn.fetch(
            "SELECT model FROM forbidden_models WHERE guild_id = $1", guild_id)
        return {row[0] for row in rows}

    async def set_model_forbidden(self, guild_id: int, model: str, forbidden: bool) -> None:
        if forbidden:
            await self._conn.execute(
                "INSERT INTO forbidden_models (guild_id, model) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING", guild_id, model)
        else:
            await self._conn.execute(
                "DELETE FROM forbidden_models WHERE guild_id = $1 AND model = $2",
                guild_id, model)

    async def log_channel(self, guild_id: int) -> LogChannel | None:
        row = await self._conn.fetchrow(
            "SELECT guild_id, channel_id, set_by, warned FROM log_channels "
            "WHERE guild_id = $1", guild_id)
        return LogChannel(row[0], row[1], row[2], bool(row[3])) if row else None

    async def set_log_channel(self, guild_id: int, channel_id: int | None, set_by: int
                              ) -> None:
        if channel_id is None:
            await self._conn.execute("DELETE FROM log_channels WHERE guild_id = $1", guild_id)
            return
        await self._conn.execute(
            "INSERT INTO log_channels (guild_id, channel_id, set_by, warned) "
            "VALUES ($1, $2, $3, 0) ON CONFLICT (guild_id) DO UPDATE SET "
            "channel_id = excluded.channel_id, set_by = excluded.set_by, warned = 0",
            guild_id, channel_id, set_by)

    async def mark_log_warned(self, guild_id: int, channel_id: int) -> bool:
        status = await self._conn.execute(
            "UPDATE log_channels SET warned = 1 "
            "WHERE guild_id = $1 AND channel_id = $2 AND warned = 0", guild_id, channel_id)
        return bool(status == "UPDATE 1")

    async def claim_alert(self, guild_id: int, day: str, level: int) -> bool:
        status = await self._conn.execute(
            "INSERT INTO admin_alerts (guild_id, day, level) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING", guild_id, day, level)
        return bool(status == "INSERT 0 1")

    async def ledger_page(self, guild_id: int, user_id: int, offset: int, limit: int
                          ) -> tuple[int, list[LedgerEntry]]:
        total = await self._conn.fetchval(
            "SELECT COUNT(*) FROM ledger WHERE guild_id = $1 AND user_id = $2",
            guild_id, user_id)
        rows = await self._conn.fetch(
            "SELECT guild_id, user_id, bucket, delta, reason, job_id, period_start, actor_id, "
            "created_at FROM ledger WHERE guild_id = $1 AND user_id = $2 "
            "ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
            guild_id, user_id, limit, offset)
        return int(total), [LedgerEntry(*row) for row in rows]

    async def report_rows(self, guild_id: int, since: float, user_id: int | None,
                          after_id: int, limit: int) -> list[ReportRow]:
        if user_id is None:
            rows = await self._conn.fetch(_REPORT_SQL.format(member=""),
                                          guild_id, since, after_id, limit)
        else:
            rows = await self._conn.fetch(_REPORT_SQL.format(member="AND l.user_id = $5 "),
                                          guild_id, since, after_id, limit, user_id)
        return [ReportRow(*row) for row in rows]

    async def job_counts(self, guild_id: int, since: float, user_id: int | None
                         ) -> list[JobCount]:
        member = "" if user_id is None else "AND user_id = $3 "
        args: tuple[object, ...] = (guild_id, since) + (() if user_id is None else (user_id,))
        rows = await self._conn.fetch(
            "SELECT user_id, model, status, COUNT(*), SUM(cost) FROM jobs "
            f"WHERE guild_id = $1 AND created_at >= $2 {member}"
            "GROUP BY user_id, model, status", *args)
        return [JobCount(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in rows]
