"""MAX_IMAGES_IN_FLIGHT: how many image results the process holds at once.

A slot is taken right before a provider starts reading a result's bytes (for Segmind,
whose answer is the image, once its headers arrive) and travels with the
GeneratedImage until the job has uploaded it. The time a provider takes to make an
image holds no slot, so a hung provider cannot starve the healthy ones.
"""

from __future__ import annotations

import asyncio

# For a provider made outside the bot (tests, tools): in effect no bound.
UNBOUNDED = 1 << 30


class Slot:
    """One held result; `release()` gives it back (once, however often it is called)."""

    __slots__ = ("_semaphore",)

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore: asyncio.Semaphore | None = semaphore

    def release(self) -> None:
        if self._semaphore is not None:
            self._semaphore.release()
            self._semaphore = None


class ResultSlots:
    """The process-wide bound on results held in memory."""

    def __init__(self, limit: int = UNBOUNDED) -> None:
        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit)

    @property
    def held(self) -> int:
        """Slots taken now."""
        return self.limit - self._semaphore._value

    async def take(self) -> Slot:
        """Waits for a free slot and takes it."""
        await self._semaphore.acquire()
        return Slot(self._semaphore)
