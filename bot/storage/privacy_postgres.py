"""PostgreSQL's side of a member's own data (see `privacy_base`), mixed into
`PostgresTransaction`: the shared statements, run on its connection."""

from __future__ import annotations

from typing import Any

from bot.storage.privacy_base import (
    BOARD_POSTS,
    ERASE,
    EXPORT_PARTS,
    REVIEW_POSTS,
    SERVERS,
    Erased,
    Post,
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
        erased = Erased(servers, await posts(REVIEW_POSTS), await posts(BOARD_POSTS))
        for statement in ERASE:
            await self._conn.execute(statement, user_id)
        return erased
