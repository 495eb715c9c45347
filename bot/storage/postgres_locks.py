"""Session advisory locks a process holds for its whole life, on one connection of its
own: PostgreSQL gives them back by itself when that connection ends, so a process killed
with -9 leaves no lock behind."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg


class SessionLocks:
    """Advisory locks (two int keys each) held on `conn` until `close`."""

    def __init__(self, conn: Any, release: Callable[[Any], Awaitable[None]]) -> None:
        self._conn = conn
        self._release = release
        # One statement at a time on the connection.
        self._busy = asyncio.Lock()
        self._closed = False
        self._listener: Callable[[Any], None] | None = None

    def on_lost(self, callback: Callable[[], None]) -> None:
        """Calls `callback` should the connection end before `close` (the database
        restarted, the network failed): the locks went with it."""

        def ended(_conn: Any) -> None:
            if not self._closed:
                callback()

        self._listener = ended
        self._conn.add_termination_listener(ended)

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
        if self._listener is not None:
            self._conn.remove_termination_listener(self._listener)
        try:
            # A connection already gone took its locks with it.
            with contextlib.suppress(OSError, asyncpg.InterfaceError, asyncpg.PostgresError):
                async with self._busy:
                    # The pool does not reset a connection it gets back (see PostgresStore).
                    await self._conn.execute("SELECT pg_advisory_unlock_all()")
        finally:
            await self._release(self._conn)
