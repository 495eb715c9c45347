"""Each provider's limit of calls at once, held by all the bot's processes together.

On PostgreSQL a call to a provider first takes one of its `limit` slots: a session advisory
lock (kind LOCK_PROVIDER, beside the LOCK_* kinds of bot/storage/postgres_tx.py; key: the
provider's block plus the slot) on a connection this process keeps for them. Taking free
slots is one statement, for all of this process's calls to the provider that asked while
the connection was busy; giving slots back is one statement, for all that were given
back meanwhile, which also notifies the processes waiting for those providers. A process
that dies loses its connection and with it its slots: at once when killed (the kernel
closes the socket), within about 25 s when its machine vanishes (the server's keepalive
probes on that connection).

A 429 met by one process is announced on a second channel, and every process holds that
provider back as long (`Router.cool_down`).

Within a process the router's own gate still orders the calls first come, first served,
after the fair scheduler has ordered the servers' jobs (bot/limits.py); between processes
a freed slot goes to whichever waiting process asks first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING

from bot.fleet.batch import Batch

if TYPE_CHECKING:
    from bot.providers.router import Router
    from bot.storage.postgres import SessionLocks

log = logging.getLogger(__name__)

LOCK_PROVIDER = 0x464C5806
FREED = "fluxcord_provider_slot_freed"
COOLED = "fluxcord_provider_cooldown"
# A notification can be missed (sent between a failed try and the wait): look again anyway.
RETRY_SECONDS = 0.5
# Server-side keepalive of the slots' connection: idle, interval, probes (about 25 s).
KEEPALIVE = (10, 5, 3)


def first_key(provider: str) -> int:
    """The key of `provider`'s slot 0; its slots follow (at most 65,536)."""
    return (zlib.crc32(provider.encode()) & 0x7FFF) << 16


class FleetLeases:
    """The provider slots of one process (bot.observers.Leases)."""

    def __init__(self, locks: SessionLocks) -> None:
        self._locks = locks
        self._freed: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        # The slots this process holds now, per provider.
        self._held: defaultdict[str, set[int]] = defaultdict(set)
        # One per provider, so that its tries never overlap: each leaves out the slots
        # the one before took (its limit is the operator's, fixed while the bot runs).
        self._takes: dict[str, Batch[None, int | None]] = {}
        self._give_backs: Batch[tuple[str, int], None] = Batch(self._unlock)
        self._on_cool_down: Callable[[str, float], None] | None = None
        # Tells this process's own 429 announcements from the others'.
        self._origin = f"{os.getpid()}-{id(self):x}"
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(cls, locks: SessionLocks) -> FleetLeases:
        """Listens for freed slots and cool-downs on `locks`' connection."""
        leases = cls(locks)
        await locks.keep_alive(*KEEPALIVE)
        await locks.listen(FREED, leases._heard_freed)
        await locks.listen(COOLED, leases._heard_cooled)
        return leases

    def share(self, router: Router) -> None:
        """Makes `router` take a slot here for every provider call, and hold a provider
        back when another process met its 429."""
        router.leases = self
        self._on_cool_down = router.cool_down
        log.info("provider limits are shared with the other processes on this database")

    @contextlib.asynccontextmanager
    async def hold(self, provider: str, limit: int) -> AsyncIterator[None]:
        """Waits for one of `provider`'s `limit` slots across the fleet; holds it."""
        key = await self._take(provider, limit)
        try:
            yield
        finally:
            # Given back even when the call was cancelled, or the slot stays taken.
            await asyncio.shield(self._give_back(provider, key))

    def cooled_down(self, provider: str, seconds: float) -> None:
        """Tells the other processes to hold `provider` back for `seconds`."""
        payload = json.dumps({"provider": provider, "seconds": seconds, "from": self._origin})
        task = asyncio.get_running_loop().create_task(self._announce(payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        await self._give_backs.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _take(self, provider: str, limit: int) -> int:
        first = first_key(provider)
        freed = self._freed[provider]
        while True:
            freed.clear()
            attempt = asyncio.ensure_future(self._try(provider, first, limit))
            try:
                key = await asyncio.shield(attempt)
            except asyncio.CancelledError:
                # The statement runs on: a slot it takes must not be lost.
                attempt.add_done_callback(lambda done: self._drop(provider, done))
                raise
            if key is not None:
                return key
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(freed.wait(), RETRY_SECONDS)

    async def _try(self, provider: str, first: int, limit: int) -> int | None:
        """One try at a free slot, together with this process's other calls to `provider`
        trying now; a slot taken is recorded as held before the next try starts: a
        session may take its own lock again, so the slots it holds are left out."""
        takes = self._takes.get(provider)
        if takes is None:
            async def take(tries: Sequence[None]) -> list[int | None]:
                held = self._held[provider]
                keys = await self._locks.try_some(LOCK_PROVIDER, first, limit, len(tries),
                                                  list(held))
                held.update(keys)
                return [*keys, *[None] * (len(tries) - len(keys))]

            takes = self._takes[provider] = Batch(
                take, lambda _, key: self._drop_key(provider, key))
        return await takes.ask(None)

    def _drop(self, provider: str, done: asyncio.Future[int | None]) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        self._drop_key(provider, done.result())

    def _drop_key(self, provider: str, key: int | None) -> None:
        if key is None:
            return
        task = asyncio.get_running_loop().create_task(self._give_back(provider, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _give_back(self, provider: str, key: int | None) -> None:
        if key is None:
            return
        try:
            await self._give_backs.ask((provider, key))
        except Exception as exc:  # the connection is gone, and the slot with it
            log.warning("could not give back a %s slot (%s)", provider, type(exc).__name__)

    async def _unlock(self, slots: Sequence[tuple[str, int]]) -> list[None]:
        """Gives `slots` back in one statement, telling the waiting processes once per
        provider. A slot stays recorded as held until then, so no try of this session
        takes it again while it is still locked."""
        try:
            await self._locks.unlock_and_notify(
                LOCK_PROVIDER, [key for _, key in slots], FREED,
                sorted({provider for provider, _ in slots}))
        finally:
            for provider, key in slots:
                self._held[provider].discard(key)
        return [None] * len(slots)

    async def _announce(self, payload: str) -> None:
        try:
            await self._locks.notify(COOLED, payload)
        except Exception as exc:
            log.warning("could not tell the other processes of a 429 (%s)",
                        type(exc).__name__)

    def _heard_freed(self, provider: str) -> None:
        if provider in self._freed:
            self._freed[provider].set()

    def _heard_cooled(self, payload: str) -> None:
        try:
            news = json.loads(payload)
            provider, seconds = str(news["provider"]), float(news["seconds"])
        except (ValueError, KeyError, TypeError):
            return
        if news.get("from") != self._origin and self._on_cool_down is not None:
            log.info("another process met a 429 from %s: holding it back %.1f s",
                     provider, seconds)
            self._on_cool_down(provider, seconds)
