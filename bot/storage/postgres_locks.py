"""Session advisory locks a process holds for its whole life, on one connection of its
own: PostgreSQL gives them back by itself when that connection ends, so a process killed
with -9 leaves no lock behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class SessionLocks:
    """Advisory locks (two int keys each) held on `conn` until `close`."""

    def __init__(self, conn: Any, release: Callable[[Any], Awaitable[None]]) -> None:
        self._conn = conn
        self._release = release
        # One statement at a time on the connection.
        self._busy = asyncio.Lock()
        self._closed = False

    async def try_lock(self, space: int, key: int, *, shared: bool = False) -> bool:
        """Takes the lock if no other session holds it (exclusively, for `shared`)."""
        function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        async with self._busy:
            return bool(await self._conn.fetchval(f"SELECT {function}($1, $2)", space, key))

    async def lock(self, space: int, key: int) -> None:
        """Waits for the lock, then holds it."""
        async with self._busy:
            await self._conn.execute("SELECT pg_advisory_lock($1, $2)", space, key)

    async def unlock(self, space: int, key: int) -> None:
        async with self._busy:
            await self._conn.execute("SELECT pg_advisory_unlock($1, $2)", space, key)

    async def close(self) -> None:
        """Gives back every lock and the connection."""
        if self._closed:
            return
        self._closed = True
        try:
            async with self._busy:
                # The pool does not reset a connection it gets back (see PostgresStore).
                await self._conn.execute("SELECT pg_advisory_unlock_all()")
        finally:
            await self._release(self._conn)
