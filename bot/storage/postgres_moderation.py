"""PostgreSQL's moderation statements, mixed into `PostgresTransaction` (see
`moderation_rows`). Every one reads or must report what it changed, so none is held back."""

from __future__ import annotations

import json
from typing import Any

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


def _changed(status: str) -> int:
    """The row count of a command tag such as 'DELETE 1' or 'INSERT 0 1'."""
    return int(status.rsplit(" ", 1)[-1])



class PostgresModeration:
    """The statements of `ModerationStatements` on an asyncpg connection."""

    __slots__ = ()
    _conn: Any

    async def blocklist_entries(self, guild_id: int) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT entry FROM blocklist_entries WHERE guild_id = $1 ORDER BY created_at, key",
            guild_id)
        return [r[0] for r in rows]

    async def add_blocklist_entry(self, guild_id: int, key: str, entry: str,
                                  added_by: int | None, now: float) -> bool:
        status = await self._conn.execute(
            "INSERT INTO blocklist_entries (guild_id, key, entry, added_by, created_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guild_id, key) DO NOTHING",
            guild_id, key, entry, added_by, now)
        return _changed(status) == 1

    async def remove_blocklist_entry(self, guild_id: int, key: str) -> str | None:
        value: str | None = await self._conn.fetchval(
            "DELETE FROM blocklist_entries WHERE guild_id = $1 AND key = $2 RETURNING entry",
            guild_id, key)
        return value

    async def add_strike(self, strike: StrikeRow) -> None:
        await self._conn.execute(
            f"INSERT INTO strikes ({STRIKE_SELECT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            strike.id, strike.guild_id, strike.user_id, strike.channel_id, strike.kind,
            strike.reason, strike.prompt, json.dumps(strike.request), strike.created_at)

    async def strike(self, strike_id: str) -> StrikeRow | None:
        row = await self._conn.fetchrow(f"SELECT {STRIKE_SELECT} FROM strikes WHERE id = $1",
                                        strike_id)
        return strike_row(row) if row else None

    async def member_strikes(self, guild_id: int, user_id: int) -> list[StrikeRow]:
        rows = await self._conn.fetch(
            f"SELECT {STRIKE_SELECT} FROM strikes WHERE guild_id = $1 AND user_id = $2 "
            "ORDER BY created_at", guild_id, user_id)
        return [strike_row(r) for r in rows]

    async def delete_strike(self, strike_id: str) -> bool:
        status = await self._conn.execute("DELETE FROM strikes WHERE id = $1", strike_id)
        return _changed(status) == 1

    async def member_standing(self, guild_id: int, user_id: int) -> StandingRow:
        row = await self._conn.fetchrow(
            "SELECT pardoned_at, blocked_at, block_reason, blocked_by FROM member_standing "
            "WHERE guild_id = $1 AND user_id = $2", guild_id, user_id)
        return StandingRow(guild_id, user_id, *row) if row else StandingRow(guild_id, user_id)

    async def put_member_standing(self, standing: StandingRow) -> None:
        await self._conn.execute(
            "INSERT INTO member_standing (guild_id, user_id, pardoned_at, blocked_at, "
            "block_reason, blocked_by) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET pardoned_at = excluded.pardoned_at, "
            "blocked_at = excluded.blocked_at, block_reason = excluded.block_reason, "
            "blocked_by = excluded.blocked_by",
            standing.guild_id, standing.user_id, standing.pardoned_at, standing.blocked_at,
            standing.block_reason, standing.blocked_by)

    async def insert_appeal(self, appeal: AppealRow) -> bool:
        status = await self._conn.execute(
            f"INSERT INTO appeals ({APPEAL_SELECT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "$10, $11, $12, $13) ON CONFLICT (strike_id) DO NOTHING",
            appeal.strike_id, appeal.guild_id, appeal.user_id, appeal.channel_id, appeal.kind,
            appeal.reason, appeal.prompt, json.dumps(appeal.request), appeal.state,
            appeal.decided_by, appeal.review_message_id, appeal.created_at, appeal.decided_at)
        return _changed(status) == 1

    async def appeal(self, strike_id: str) -> AppealRow | None:
        row = await self._conn.fetchrow(f"SELECT {APPEAL_SELECT} FROM appeals WHERE strike_id = $1",
                                        strike_id)
        return appeal_row(row) if row else None

    async def member_appeal_times(self, guild_id: int, user_id: int, since: float
                                  ) -> list[float]:
        rows = await self._conn.fetch(
            "SELECT created_at FROM appeals WHERE guild_id = $1 AND user_id = $2 "
            "AND created_at >= $3 ORDER BY created_at", guild_id, user_id, since)
        return [r[0] for r in rows]

    async def decide_appeal(self, strike_id: str, state: AppealState, by: int,
                            now: float) -> bool:
        status = await self._conn.execute(
            "UPDATE appeals SET state = $1, decided_by = $2, decided_at = $3 "
            "WHERE strike_id = $4 AND state = 'pending'", state, by, now, strike_id)
        return _changed(status) == 1

    async def set_appeal_message(self, strike_id: str, message_id: int) -> None:
        await self._conn.execute(
            "UPDATE appeals SET review_message_id = $1 WHERE strike_id = $2",
            message_id, strike_id)

    async def review_channel(self, guild_id: int) -> int | None:
        value: int | None = await self._conn.fetchval(
            "SELECT review_channel_id FROM moderation_config WHERE guild_id = $1", guild_id)
        return value

    async def set_review_channel(self, guild_id: int, channel_id: int | None) -> None:
        await self._conn.execute(
            "INSERT INTO moderation_config (guild_id, review_channel_id) VALUES ($1, $2) "
            "ON CONFLICT (guild_id) DO UPDATE SET review_channel_id = excluded.review_channel_id",
            guild_id, channel_id)
