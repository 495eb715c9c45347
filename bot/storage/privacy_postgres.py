"""PostgreSQL's side of a member's own data (see `privacy_base`), mixed into
`PostgresTransaction`: the shared statements, run on its connection."""

from __future__ import annotations

from typing import Any

from bot.storage.privacy_base import (
    AUTHORED_POSTS,
    BOARD_POSTS,
    CLEAR_RETENTION,
    ERASE,
    EXPORT_PARTS,
    RETENTION_DAYS,
    RETENTIONS,
    REVIEW_POSTS,
    SERVERS,
    SET_RETENTION,
    Erased,
    Post,
    expire_statements,
)


class PostgresPrivacyStatements:
    """A member's own data, on `self._conn` inside an open transaction."""

    __slots__ = ()
    _conn: Any

    async def member_data(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        data: dict[str, list[dict[str, Any]]] = {}
        for part, (statement, _about) in EXPORT_PARTS.items():
            data[part] = [dict(row) for row in await self._conn.fetch(statement, user_id)]
        return data

    async def erase_member(self, user_id: int) -> Erased:
        async def posts(statement: str) -> list[Post]:
            return [Post(*row) for row in await self._conn.fetch(statement, user_id)]

        servers = sorted(row[0] for row in await self._conn.fetch(SERVERS, user_id))
        erased = Erased(servers, await posts(REVIEW_POSTS), await posts(BOARD_POSTS),
                        await posts(AUTHORED_POSTS))
        for statement in ERASE:
            await self._conn.execute(statement, user_id)
        return erased

    async def retention(self, guild_id: int) -> int | None:
        days = await self._conn.fetchval(RETENTION_DAYS, guild_id)
        return int(days) if days is not None else None

    async def set_retention(self, guild_id: int, days: int | None) -> None:
        if days is None:
            await self._conn.execute(CLEAR_RETENTION, guild_id)
        else:
            await self._conn.execute(SET_RETENTION, guild_id, days)

    async def retentions(self) -> dict[int, int]:
        return {row[0]: row[1] for row in await self._conn.fetch(RETENTIONS)}

    async def expire(self, before: float, guild_id: int | None = None) -> int:
        args = (before,) if guild_id is None else (before, guild_id)
        changed = 0
        for statement in expire_statements(guild_id is not None):
            status = await self._conn.execute(statement, *args)
            changed += int(status.rsplit(" ", 1)[-1])
        return changed
