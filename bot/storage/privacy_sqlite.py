"""SQLite's side of a member's own data (see `privacy_base`), mixed into
`SqliteTransaction`: the shared statements, run at once on its connection."""

from __future__ import annotations

import sqlite3
from typing import Any

from bot.storage.privacy_base import (
    BOARD_POSTS,
    ERASE,
    EXPORT_PARTS,
    REVIEW_POSTS,
    SERVERS,
    Erased,
    Post,
    sqlite_sql,
)


class SqlitePrivacyStatements:
    """A member's own data, on `self._conn` inside an open transaction."""

    __slots__ = ()
    _conn: sqlite3.Connection

    async def member_data(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        data: dict[str, list[dict[str, Any]]] = {}
        for part, (statement, _about) in EXPORT_PARTS.items():
            cursor = self._conn.execute(sqlite_sql(statement), (user_id,))
            names = [column[0] for column in cursor.description]
            data[part] = [dict(zip(names, row, strict=True)) for row in cursor]
        return data

    async def erase_member(self, user_id: int) -> Erased:
        def posts(statement: str) -> list[Post]:
            rows = self._conn.execute(sqlite_sql(statement), (user_id,))
            return [Post(*row) for row in rows]

        servers = sorted(g for (g,) in self._conn.execute(sqlite_sql(SERVERS), (user_id,)))
        erased = Erased(servers, posts(REVIEW_POSTS), posts(BOARD_POSTS))
        for statement in ERASE:
            self._conn.execute(sqlite_sql(statement), (user_id,))
        return erased
