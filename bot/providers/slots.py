"""MAX_IMAGES_IN_FLIGHT: how many image results the process holds at once.

A slot is taken right before a provider starts reading a result's bytes (for Segmind,
whose answer is the image, once its headers arrive) and travels with the
GeneratedImage until the job has uploaded it. The time a provider takes to make an
image holds no slot, so a hung provider cannot starve the healthy ones.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

# For a provider made outside the bot (tests, tools): in effect no bound.
UNBOUNDED = 1 << 30


class Slot:
    """One held result; `release()` gives it back (once, however often it is called)."""

    __slots__ = ("_semaphores",)

    def __init__(self, *semaphores: asyncio.Semaphore) -> None:
        self._semaphores = semaphores

    def release(self) -> None:
        for semaphore in self._semaphores:
            semaphore.release()
        self._semaphores = ()


class _Bundle:
    """The slots of one job of several images, taken together by its first result."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.taken: list[Slot] | None = None

    def release_unused(self) -> None:
        for slot in self.taken or ():
            slot.release()
        self.taken = []


_bundle: contextvars.ContextVar[_Bundle | None] = contextvars.ContextVar("bundle", default=None)


class ResultSlots:
    """The process-wide bound on results held in memory.

    A job of several images posts them together, so it holds each result until the last
    one is in. Were its slots taken one by one, jobs holding some could wait for one
    another for good; so the first result of such a job takes every slot the job will
    need, one job at a time (`bundle`). Such jobs hold at most half the slots between
    them: those whose last images a slow provider keeps never hold up a job of one image.
    """

    def __init__(self, limit: int = UNBOUNDED) -> None:
        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit)
        self._bundling = asyncio.Lock()
        self._bundle_limit = max(1, limit // 2)
        self._bundled = asyncio.Semaphore(self._bundle_limit)

    @contextmanager
    def bundle(self, size: int) -> Iterator[None]:
        """Within this block (and the tasks started in it), results share `size` slots
        taken all at once; those no result used are given back at its end."""
        bundle = _Bundle(min(size, self._bundle_limit))
        token = _bundle.set(bundle)
        try:
            yield
        finally:
            _bundle.reset(token)
            bundle.release_unused()

    @property
    def held(self) -> int:
        """Slots taken now."""
        return self.limit - self._semaphore._value

    async def take(self) -> Slot:
        """Waits for a free slot and takes it (inside a `bundle`, one of the bundle's)."""
        bundle = _bundle.get()
        if bundle is None or bundle.size <= 1:
            await self._semaphore.acquire()
            return Slot(self._semaphore)
        if bundle.taken is None:
            await self._take_bundle(bundle)
        if bundle.taken:
            return bundle.taken.pop()
        # More results than the bundle was sized for: one more slot, as usual.
        await self._semaphore.acquire()
        return Slot(self._semaphore)

    async def _take_bundle(self, bundle: _Bundle) -> None:
        # One bundle at a time, so two never hold part of what each needs. A bundle that
        # has its slots needs this lock no more: its results never wait behind another's.
        async with self._bundling:
            if bundle.taken is None:
                taken: list[Slot] = []
                try:
                    for _ in range(bundle.size):
                        await self._bundled.acquire()
                        try:
                            await self._semaphore.acquire()
                        except BaseException:
                            self._bundled.release()
                            raise
                        taken.append(Slot(self._semaphore, self._bundled))
                except BaseException:
                    for slot in taken:
                        slot.release()
                    raise
                bundle.taken = taken
