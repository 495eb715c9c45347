"""SQLite's moderation statements, mixed into `SqliteTransaction` (see `moderation_rows`)."""

from __future__ import annotations

import json
import sqlite3

from bot.storage.moderation_rows import (
    APPEAL_SELECT,
    STRIKE_SELECT,
    AppealRow,
    AppealState,
    StandingRow,
    StrikeRow,
    appeal_row,
    strike_row,
)


class SqliteModeration:
    """The statements of `ModerationStatements` on a sqlite3 connection."""

    __slots__ = ()
    _conn: sqlite3.Connection

    async def blocklist_entries(self, guild_id: int) -> list[str]:
        rows = self._conn.execute(
            "SELECT entry FROM blocklist_entries WHERE guild_id = ? ORDER BY created_at, key",
            (guild_id,)).fetchall()
        return [r[0] for r in rows]

    async def add_blocklist_entry(self, guild_id: int, key: str, entry: str,
                                  added_by: int | None, now: float) -> bool:
        cursor = self._conn.execute(
            "INSERT INTO blocklist_entries (guild_id, key, entry, added_by, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, key) DO NOTHING",
            (guild_id, key, entry, added_by, now))
        return cursor.rowcount == 1

    async def remove_blocklist_entry(self, guild_id: int, key: str) -> str | None:
        row = self._conn.execute(
            "DELETE FROM blocklist_entries WHERE guild_id = ? AND key = ? RETURNING entry",
            (guild_id, key)).fetchone()
        return row[0] if row else None

    async def add_strike(self, strike: StrikeRow) -> None:
        self._conn.execute(
            f"INSERT INTO strikes ({STRIKE_SELECT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (strike.id, strike.guild_id, strike.user_id, strike.channel_id, strike.kind,
             strike.reason, strike.prompt, json.dumps(strike.request), strike.created_at))

    async def strike(self, strike_id: str) -> StrikeRow | None:
        row = self._conn.execute(f"SELECT {STRIKE_SELECT} FROM strikes WHERE id = ?",
                                 (strike_id,)).fetchone()
        return strike_row(row) if row else None

    async def member_strikes(self, guild_id: int, user_id: int) -> list[StrikeRow]:
        rows = self._conn.execute(
            f"SELECT {STRIKE_SELECT} FROM strikes WHERE guild_id = ? AND user_id = ? "
            "ORDER BY created_at", (guild_id, user_id)).fetchall()
        return [strike_row(r) for r in rows]

    async def delete_strike(self, strike_id: str) -> bool:
        cursor = self._conn.execute("DELETE FROM strikes WHERE id = ?", (strike_id,))
        return cursor.rowcount == 1

    async def member_standing(self, guild_id: int, user_id: int) -> StandingRow:
        row = self._conn.execute(
            "SELECT pardoned_at, blocked_at, block_reason, blocked_by FROM member_standing "
            "WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)).fetchone()
        return StandingRow(guild_id, user_id, *row) if row else StandingRow(guild_id, user_id)

    async def put_member_standing(self, standing: StandingRow) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO member_standing (guild_id, user_id, pardoned_at, "
            "blocked_at, block_reason, blocked_by) VALUES (?, ?, ?, ?, ?, ?)",
            (standing.guild_id, standing.user_id, standing.pardoned_at, standing.blocked_at,
             standing.block_reason, standing.blocked_by))

    async def insert_appeal(self, appeal: AppealRow) -> bool:
        cursor = self._conn.execute(
            f"INSERT INTO appeals ({APPEAL_SELECT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (strike_id) DO NOTHING",
            (appeal.strike_id, appeal.guild_id, appeal.user_id, appeal.channel_id,
             appeal.kind, appeal.reason, appeal.prompt, json.dumps(appeal.request),
             appeal.state, appeal.decided_by, appeal.review_message_id, appeal.created_at,
             appeal.decided_at))
        return cursor.rowcount == 1

    async def appeal(self, strike_id: str) -> AppealRow | None:
        row = self._conn.execute(f"SELECT {APPEAL_SELECT} FROM appeals WHERE strike_id = ?",
                                 (strike_id,)).fetchone()
        return appeal_row(row) if row else None

    async def member_appeal_times(self, guild_id: int, user_id: int, since: float
                                  ) -> list[float]:
        rows = self._conn.execute(
            "SELECT created_at FROM appeals WHERE guild_id = ? AND user_id = ? "
            "AND created_at >= ? ORDER BY created_at", (guild_id, user_id, since)).fetchall()
        return [r[0] for r in rows]

    async def decide_appeal(self, strike_id: str, state: AppealState, by: int,
                            now: float) -> bool:
        cursor = self._conn.execute(
            "UPDATE appeals SET state = ?, decided_by = ?, decided_at = ? "
            "WHERE strike_id = ? AND state = 'pending'", (state, by, now, strike_id))
        return cursor.rowcount == 1

    async def set_appeal_message(self, strike_id: str, message_id: int) -> None:
        self._conn.execute("UPDATE appeals SET review_message_id = ? WHERE strike_id = ?",
                           (message_id, strike_id))

    async def review_channel(self, guild_id: int) -> int | None:
        row = self._conn.execute(
            "SELECT review_channel_id FROM moderation_config WHERE guild_id = ?",
            (guild_id,)).fetchone()
        return row[0] if row else None

    async def set_review_channel(self, guild_id: int, channel_id: int | None) -> None:
        self._conn.execute(
            "INSERT INTO moderation_config (guild_id, review_channel_id) VALUES (?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET review_channel_id = excluded.review_channel_id",
            (guild_id, channel_id))
