"""SQLite's side of a member's own data (see `privacy_base`), mixed into
`SqliteTransaction`: the shared statements, run at once on its connection."""

from __future__ import annotations

import sqlite3
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
        erased = Erased(servers, posts(REVIEW_POSTS), posts(BOARD_POSTS),
                        posts(AUTHORED_POSTS))
        for statement in ERASE:
            self._conn.execute(sqlite_sql(statement), (user_id,))
        return erased

    async def retention(self, guild_id: int) -> int | None:
        row = self._conn.execute(sqlite_sql(RETENTION_DAYS), (guild_id,)).fetchone()
        return int(row[0]) if row else None

    async def set_retention(self, guild_id: int, days: int | None) -> None:
        if days is None:
            self._conn.execute(sqlite_sql(CLEAR_RETENTION), (guild_id,))
        else:
            self._conn.execute(sqlite_sql(SET_RETENTION), (guild_id, days))

    async def retentions(self) -> dict[int, int]:
        return {g: d for g, d in self._conn.execute(sqlite_sql(RETENTIONS))}

    async def expire(self, before: float, guild_id: int | None = None) -> int:
        args = (before,) if guild_id is None else (before, guild_id)
        return sum(self._conn.execute(sqlite_sql(s), args).rowcount
                   for s in expire_statements(guild_id is not None))
