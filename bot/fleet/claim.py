"""The locks that make a process the only runner of its shards, for as long as it lives.

On PostgreSQL each shard is a session advisory lock, held on one connection of the
process's own: a second process started for a held shard is refused, and a process that
dies (even with kill -9) loses its locks with its connection, so its successor starts. A
process that runs every shard (no SHARD_IDS) takes one lock that excludes all others;
each shard process holds that one shared, so the two kinds refuse each other too.

Discord lets a bot start `max_concurrency` sessions per 5 seconds, counted over all its
processes: on PostgreSQL a shard's identify takes a turn in its bucket across processes.

On SQLite one process is all there is: an exclusive lock on a file beside the database
(`fluxcord.db.lock`), which the kernel drops when the process ends, however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.fleet.leases import FleetLeases
    from bot.fleet.shardset import ShardSet
    from bot.storage import Store
    from bot.storage.postgres import SessionLocks

log = logging.getLogger(__name__)

EVERY_SHARD = -1


class ShardTaken(Exception):
    """Another process already runs (some of) this process's shards; the text says which
    and what to do, in one line."""


class Fleet(Protocol):
    """This process's place among the bot's processes."""

    shards: ShardSet
    lost: asyncio.Event
    """Set when the shards are no longer held (their database connection ended)."""
    leases: FleetLeases | None
    """The providers' slots shared with the other processes (PostgreSQL only)."""

    def one_at_a_time(self, name: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Held by one process at a time, across every process on the database."""
        ...

    async def identify_turn(self, bucket: int) -> None:
        """Waits until a shard of identify bucket `bucket` may identify, as far as the
        other processes' shards are concerned (this process's own pace itself)."""


class _Alone:
    """A process with nothing to share with: one-at-a-time is free."""

    def __init__(self, shards: ShardSet) -> None:
        self.shards = shards
        self.lost = asyncio.Event()
        self.leases: FleetLeases | None = None

    def one_at_a_time(self, name: str) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()

    async def identify_turn(self, bucket: int) -> None:
        return None


class _PostgresFleet:
    def __init__(self, shards: ShardSet, locks: SessionLocks, store: Store,
                 leases: FleetLeases | None = None) -> None:
        self.shards = shards
        self._locks = locks
        self._store = store
        self.lost = asyncio.Event()
        self.leases = leases

    async def identify_turn(self, bucket: int) -> None:
        """Books the bucket's next identify in the database, then waits for it: the same
        booking as `bot.shards.IdentifyPacer`, shared by every process (wall clock time,
        so the machines' clocks must roughly agree; the margin absorbs a little)."""
        from bot.shards import IDENTIFY_MARGIN, IDENTIFY_WINDOW
        from bot.storage.postgres_tx import LOCK_IDENTIFY

        key = f"identify_bucket_{bucket}"
        await self._locks.lock(LOCK_IDENTIFY, bucket)
        try:
            last = await self._store.get_meta(key)
            now = time.time()
            turn = now if last is None else max(
                now, float(last) + IDENTIFY_WINDOW + IDENTIFY_MARGIN)
            await self._store.set_meta(key, repr(turn))
        finally:
            await self._locks.unlock(LOCK_IDENTIFY, bucket)
        if turn > now:
            log.info("identify bucket %d: waiting %.1f s for another process's shard",
                     bucket, turn - now)
            await asyncio.sleep(turn - now)

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, name: str) -> AsyncIterator[None]:
        from bot.storage.postgres_tx import LOCK_COMMANDS

        spaces = {"commands": LOCK_COMMANDS}
        await self._locks.lock(spaces[name], 0)
        try:
            yield
        finally:
            await self._locks.unlock(spaces[name], 0)


def alone(shards: ShardSet) -> Fleet:
    """The fleet of a process that took no locks (tests, tools)."""
    return _Alone(shards)


@contextlib.asynccontextmanager
async def hold_shards(store: Store, shards: ShardSet, database: str) -> AsyncIterator[Fleet]:
    """Holds this process's shards until the block ends; raises ShardTaken when another
    process has them. `database` names the database in messages (no password)."""
    if store.engine == "postgresql":
        from bot.storage.postgres import PostgresStore

        assert isinstance(store, PostgresStore)
        from bot.fleet.leases import FleetLeases

        locks = await store.session_locks()
        slots = None
        leases = None
        try:
            await _take_shards(locks, shards)
            log.info("running %s; no other process may run them on this database",
                     shards.describe())
            # The providers' slots on a connection of their own: a call never waits
            # behind an identify turn.
            slots = await store.session_locks()
            leases = await FleetLeases.open(slots)
            fleet = _PostgresFleet(shards, locks, store, leases)
            locks.on_lost(fleet.lost.set)
            slots.on_lost(fleet.lost.set)
            yield fleet
        finally:
            if leases is not None:
                await leases.close()
            if slots is not None:
                await slots.close()
            await locks.close()
        return
    from bot.storage import SqliteStore

    if not isinstance(store, SqliteStore):
        yield _Alone(shards)
        return
    with lock_file(Path(store.path), database):
        yield _Alone(shards)


async def _take_shards(locks: SessionLocks, shards: ShardSet) -> None:
    from bot.storage.postgres_tx import LOCK_SHARD

    if shards.ids is None:
        if not await locks.try_lock(LOCK_SHARD, EVERY_SHARD):
            raise ShardTaken(
                "another fluxcord process already runs on this database; to run several, "
                "give each one SHARD_COUNT and its own SHARD_IDS (see the README)")
        return
    if not await locks.try_lock(LOCK_SHARD, EVERY_SHARD, shared=True):
        raise ShardTaken(
            "another fluxcord process runs every shard on this database (it has no "
            "SHARD_IDS); stop it, or give each process its own SHARD_IDS")
    for shard in sorted(shards.ids):
        if not await locks.try_lock(LOCK_SHARD, shard):
            raise ShardTaken(
                f"shard {shard} is already run by another fluxcord process on this "
                "database; stop that process first, or start this one with other SHARD_IDS")


@contextlib.contextmanager
def lock_file(database: Path, name: str) -> Iterator[None]:
    """An exclusive lock on `<database>.lock` for the block; ShardTaken if it is held."""
    path = database.with_name(database.name + ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ShardTaken(
                f"another fluxcord process already uses {name}; SQLite serves one process "
                "only: stop that one first, or move to PostgreSQL to run several (see the "
                "README)") from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
