"""Session advisory locks a process holds for its whole life, on one connection of its
own: PostgreSQL gives them back by itself when that connection ends, so a process killed
with -9 leaves no lock behind."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
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
        self._listening: list[tuple[str, Callable[..., None]]] = []

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

    async def try_any(self, space: int, first: int, count: int, held: Iterable[int] = ()
                      ) -> int | None:
        """Takes the first free lock of keys `first` to `first + count - 1`, skipping the
        keys this session `held` already (a session may take its own lock again), in one
        round trip; its key, or None when every one is held."""
        async with self._busy:
            # CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and a
            # try on a key this session holds would take it once more, for good.
            key = await self._conn.fetchval(
                "SELECT k FROM generate_series($2::int, $2::int + $3::int - 1) AS k "
                "WHERE CASE WHEN k = ANY($4::int[]) THEN false "
                "ELSE pg_try_advisory_lock($1, k) END LIMIT 1",
                space, first, count, list(held))
        return None if key is None else int(key)

    async def unlock_and_notify(self, space: int, key: int, channel: str, payload: str
                                ) -> None:
        """Gives the lock back and tells every listener of `channel`, in one round trip."""
        async with self._busy:
            await self._conn.execute("SELECT pg_advisory_unlock($1, $2), pg_notify($3, $4)",
                                     space, key, channel, payload)

    async def notify(self, channel: str, payload: str) -> None:
        async with self._busy:
            await self._conn.execute("SELECT pg_notify($1, $2)", channel, payload)

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Calls `callback` with the payload of each notification on `channel`."""
        def heard(*args: Any) -> None:
            callback(args[-1])

        async with self._busy:
            await self._conn.add_listener(channel, heard)
        self._listening.append((channel, heard))

    async def keep_alive(self, idle: int, interval: int, count: int) -> None:
        """Has the server probe this connection, so that it drops the locks of a machine
        that vanished (no FIN ever comes) after about idle + interval * count seconds."""
        async with self._busy:
            await self._conn.execute(
                f"SET tcp_keepalives_idle = {int(idle)}; "
                f"SET tcp_keepalives_interval = {int(interval)}; "
                f"SET tcp_keepalives_count = {int(count)}")

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
                    for channel, heard in self._listening:
                        await self._conn.remove_listener(channel, heard)
        finally:
            await self._release(self._conn)
