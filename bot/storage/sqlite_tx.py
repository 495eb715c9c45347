"""SQLite's driver: one open transaction on the database's own thread.

A `SqliteTransaction` wraps the sqlite3 connection inside the database's own thread (see
`SqliteStore`): its methods are coroutines only to fit the `Transaction` seam; each runs
its statement at once and never suspends, so the store can drive a whole rule on its
thread. sqlite3 caches each prepared statement by its text, so the hot statements are
prepared once per connection.

The generic statements (`execute`, `fetch`, ...) take a statement written once for both
engines, in PostgreSQL's dialect: `$n` placeholders. Why that style rather than named
parameters or a query builder: asyncpg accepts only `$n`, so PostgreSQL runs the text as
written, with nothing between the rule and the server on the hot path; SQLite accepts the
same numbered parameters as `?n`, so the one translation is a textual `$` -> `?` done
once per statement text (`sqlite_sql`, cached). Both engines read the rest alike:
ON CONFLICT ... DO UPDATE, RETURNING, `excluded.`, CAST, and a row count (SQLite's
`rowcount`; PostgreSQL's status line, read in `bot.storage.postgres_tx`). The few
functions SQLite names otherwise are renamed here too (`_FUNCTIONS`). Statements never
hold a `$` inside a string literal.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

# PostgreSQL's functions that SQLite names otherwise (same arguments, same meaning).
_FUNCTIONS = {"strpos(": "instr("}


@lru_cache(maxsize=1024)
def sqlite_sql(statement: str) -> str:
    """A statement written for PostgreSQL (`$n`) as SQLite runs it (`?n`)."""
    for theirs, ours in _FUNCTIONS.items():
        statement = statement.replace(theirs, ours)
    return re.sub(r"\$(\d+)", r"?\1", statement)


class SqliteTransaction:
    """The statements fluxcord runs, on a sqlite3 connection inside an open transaction."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    # -- locks -------------------------------------------------------------------------

    async def lock_guild(self, guild_id: int) -> None:
        """Nothing to do: a rule runs whole on the database thread under BEGIN IMMEDIATE."""

    async def lock_member(self, guild_id: int, user_id: int) -> None:
        """Nothing to do, as for `lock_guild`."""

    # -- statements written once for both engines ($n placeholders) ---------------------

    async def execute(self, sql: str, *args: Any) -> int:
        """Runs a statement; returns how many rows it changed."""
        return self._conn.execute(sqlite_sql(sql), args).rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Runs a statement once per row of parameters."""
        self._conn.executemany(sqlite_sql(sql), rows)

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """Every row the statement returns."""
        return self._conn.execute(sqlite_sql(sql), args).fetchall()

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        """The first row the statement returns, or None."""
        row: Sequence[Any] | None = self._conn.execute(sqlite_sql(sql), args).fetchone()
        return row

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = self._conn.execute(sqlite_sql(sql), args).fetchone()
        return row[0] if row else None

    async def defer(self, row: tuple[Any, ...] | None, sql: str, *args: Any) -> None:
        """Runs a write whose result no rule reads: here at once."""
        self._conn.execute(sqlite_sql(sql), args)

    async def copy_in(self, table: str, columns: Sequence[str],
                      rows: Iterable[Sequence[Any]]) -> None:
        """Inserts many rows given in the order of `columns` (names from our own code)."""
        self._conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})", rows)

    async def fetchnamed(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Every row the statement returns, as column name -> value."""
        cursor = self._conn.execute(sqlite_sql(sql), args)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    # -- meta --------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """A meta value, or None."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        """Stores a meta value."""
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- copying -----------------------------------------------------------------------

    def _columns(self, table: str) -> list[str]:
        """A table's columns in their order; ValueError for a table that is not there."""
        columns = [row[0] for row in self._conn.execute(
            "SELECT name FROM pragma_table_info(?) ORDER BY cid", (table,))]
        if not columns:
            raise ValueError(f"no table {table!r}")
        return columns

    async def dump(self, table: str) -> list[tuple[Any, ...]]:
        """Every row of a table, in its column order."""
        # Names from the database's own catalogue, checked to exist: never user input.
        columns = ", ".join(self._columns(table))
        return self._conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()

    async def load(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Inserts rows given in the table's column order."""
        await self.copy_in(table, self._columns(table), rows)
