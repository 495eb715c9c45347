"""SQLite's statements of server administration (see `admin_base`), mixed into
`SqliteTransaction`: like its own, each runs at once and never suspends."""

from __future__ import annotations

import sqlite3

from bot.storage._rows import LedgerEntry
from bot.storage.admin_rows import JobCount, LogChannel, ReportRow, RoleTier

_REPORT_SQL = (
    "SELECT l.id, l.created_at, l.user_id, l.delta, l.bucket, l.reason, l.job_id, j.model "
    "FROM ledger l LEFT JOIN jobs j ON j.id = l.job_id "
    "WHERE l.guild_id = ? AND l.created_at >= ? AND l.id > ? {member}"
    "ORDER BY l.id LIMIT ?"
)


class SqliteAdminStatements:
    """The administration statements, on `self._conn` inside an open transaction."""

    __slots__ = ()
    _conn: sqlite3.Connection

    async def role_tiers(self, guild_id: int) -> list[RoleTier]:
        rows = self._conn.execute(
            "SELECT guild_id, role_id, allowance, period_hours FROM role_tiers "
            "WHERE guild_id = ? ORDER BY allowance DESC, role_id", (guild_id,))
        return [RoleTier(*row) for row in rows]

    async def set_role_tier(self, tier: RoleTier) -> None:
        self._conn.execute(
            "INSERT INTO role_tiers (guild_id, role_id, allowance, period_hours) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, role_id) DO UPDATE SET "
            "allowance = excluded.allowance, period_hours = excluded.period_hours",
            (tier.guild_id, tier.role_id, tier.allowance, tier.period_hours))

    async def remove_role_tier(self, guild_id: int, role_id: int) -> bool:
        cursor = self._conn.execute(
            "DELETE FROM role_tiers WHERE guild_id = ? AND role_id = ?", (guild_id, role_id))
        return cursor.rowcount == 1

    async def forbidden_models(self, guild_id: int) -> set[str]:
        rows = self._conn.execute(
            "SELECT model FROM forbidden_models WHERE guild_id = ?", (guild_id,))
        return {model for (model,) in rows}

    async def set_model_forbidden(self, guild_id: int, model: str, forbidden: bool) -> None:
        if forbidden:
            self._conn.execute(
                "INSERT INTO forbidden_models (guild_id, model) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING", (guild_id, model))
        else:
            self._conn.execute(
                "DELETE FROM forbidden_models WHERE guild_id = ? AND model = ?",
                (guild_id, model))

    async def log_channel(self, guild_id: int) -> LogChannel | None:
        row = self._conn.execute(
            "SELECT guild_id, channel_id, set_by, warned FROM log_channels WHERE guild_id = ?",
            (guild_id,)).fetchone()
        return LogChannel(row[0], row[1], row[2], bool(row[3])) if row else None

    async def set_log_channel(self, guild_id: int, channel_id: int | None, set_by: int
                              ) -> None:
        if channel_id is None:
            self._conn.execute("DELETE FROM log_channels WHERE guild_id = ?", (guild_id,))
            return
        self._conn.execute(
            "INSERT INTO log_channels (guild_id, channel_id, set_by, warned) "
            "VALUES (?, ?, ?, 0) ON CONFLICT (guild_id) DO UPDATE SET "
            "channel_id = excluded.channel_id, set_by = excluded.set_by, warned = 0",
            (guild_id, channel_id, set_by))

    async def mark_log_warned(self, guild_id: int, channel_id: int) -> bool:
        cursor = self._conn.execute(
            "UPDATE log_channels SET warned = 1 "
            "WHERE guild_id = ? AND channel_id = ? AND warned = 0", (guild_id, channel_id))
        return cursor.rowcount == 1

    async def claim_alert(self, guild_id: int, day: str, level: int) -> bool:
        cursor = self._conn.execute(
            "INSERT INTO admin_alerts (guild_id, day, level) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING", (guild_id, day, level))
        return cursor.rowcount == 1

    async def ledger_page(self, guild_id: int, user_id: int, offset: int, limit: int
                          ) -> tuple[int, list[LedgerEntry]]:
        (total,) = self._conn.execute(
            "SELECT COUNT(*) FROM ledger WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id)).fetchone()
        rows = self._conn.execute(
            "SELECT guild_id, user_id, bucket, delta, reason, job_id, period_start, actor_id, "
            "created_at FROM ledger WHERE guild_id = ? AND user_id = ? "
            "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (guild_id, user_id, limit, offset))
        return total, [LedgerEntry(*row) for row in rows]

    async def report_rows(self, guild_id: int, since: float, user_id: int | None,
                          after_id: int, limit: int) -> list[ReportRow]:
        args: tuple[object, ...]
        if user_id is None:
            sql, args = _REPORT_SQL.format(member=""), (guild_id, since, after_id, limit)
        else:
            sql = _REPORT_SQL.format(member="AND l.user_id = ? ")
            args = (guild_id, since, after_id, user_id, limit)
        return [ReportRow(*row) for row in self._conn.execute(sql, args)]

    async def job_counts(self, guild_id: int, since: float, user_id: int | None
                         ) -> list[JobCount]:
        member = "" if user_id is None else "AND user_id = ? "
        args: tuple[object, ...] = (guild_id, since) + (() if user_id is None else (user_id,))
        rows = self._conn.execute(
            "SELECT user_id, model, status, COUNT(*), SUM(cost) FROM jobs "
            f"WHERE guild_id = ? AND created_at >= ? {member}"
            "GROUP BY user_id, model, status", args)
        return [JobCount(*row) for row in rows]
