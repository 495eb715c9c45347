"""A PostgreSQL connection that holds back writes and sends them together.

A write whose result no rule reads is held (`defer`) and sent with the others, as one
statement of data-modifying CTEs, just before the next statement or the COMMIT. Two held
writes never touch the same row (a second write to a row sends the first), so their
order within the statement cannot matter; foreign keys are checked at its end.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=64)
def _shifted(sql: str, offset: int) -> str:
    """The statement with its placeholders $n renumbered to $(n + offset)."""
    return re.sub(r"\$(\d+)", lambda m: f"${int(m[1]) + offset}", sql)


class HeldWrites:
    """The connection, holding back writes (`defer`) until the next statement."""

    __slots__ = ("_conn", "_keys", "_writes")

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._writes: list[tuple[str, tuple[Any, ...]]] = []
        self._keys: set[tuple[Any, ...]] = set()

    async def defer(self, row: tuple[Any, ...] | None, sql: str, *args: Any) -> None:
        """Holds a write; `row` names the row it changes (None: a new row every time)."""
        if row is not None:
            if row in self._keys:
                await self.flush()
            self._keys.add(row)
        self._writes.append((sql, args))

    async def flush(self) -> None:
        """Sends the held writes, as one statement."""
        writes, self._writes = self._writes, []
        self._keys.clear()
        if len(writes) == 1:
            sql, args = writes[0]
            await self._conn.execute(sql, *args)
        elif writes:
            parts: list[str] = []
            params: list[Any] = []
            for n, (sql, args) in enumerate(writes):
                parts.append(f"w{n} AS ({_shifted(sql, len(params))})")
                params.extend(args)
            await self._conn.execute(f"WITH {', '.join(parts)} SELECT 1", *params)

    async def execute(self, sql: str, *args: Any) -> str:
        if self._writes:
            await self.flush()
        status: str = await self._conn.execute(sql, *args)
        return status

    async def executemany(self, sql: str, rows: Any) -> None:
        if self._writes:
            await self.flush()
        await self._conn.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        if self._writes:
            await self.flush()
        rows: list[Any] = await self._conn.fetch(sql, *args)
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        if self._writes:
            await self.flush()
        return await self._conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        if self._writes:
            await self.flush()
        return await self._conn.fetchval(sql, *args)

    async def copy_records_to_table(self, table: str, **kwargs: Any) -> None:
        if self._writes:
            await self.flush()
        await self._conn.copy_records_to_table(table, **kwargs)
