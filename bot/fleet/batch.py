"""Requests that arrive while a statement runs go together in the next one.

The provider slots live on one connection, which runs one statement at a time: in a burst
of jobs, a take and a give-back per provider call, one after another, made the calls
queue for that connection. A `Batch` hands every request that came in meanwhile to one
call of its `run`, which answers each of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Answer = TypeVar("Answer")

# Runs one statement for the requests, in their order; one answer per request.
Run = Callable[[Sequence[Item]], Awaitable[Sequence[Answer]]]


class Batch(Generic[Item, Answer]):
    """One `run` at a time, for all the requests that waited for it."""

    def __init__(self, run: Run[Item, Answer],
                 unclaimed: Callable[[Item, Answer], None] | None = None) -> None:
        """`unclaimed(item, answer)` is told of an answer whose requester stopped waiting
        (so that a slot taken for it is given back)."""
        self._run = run
        self._unclaimed = unclaimed
        self._waiting: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._running: asyncio.Task[None] | None = None

    async def ask(self, item: Item) -> Answer:
        """`item`'s answer, from the next run."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        self._waiting.append((item, future))
        if self._running is None:
            self._running = loop.create_task(self._drain())
        return await future

    async def close(self) -> None:
        """Waits for the run under way, if any."""
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)

    async def _drain(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Answer]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    answers = await self._run([item for item, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (item, future), answer in zip(batch, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
                    elif self._unclaimed is not None:
                        self._unclaimed(item, answer)
        finally:
            # Stopped (the bot is closing): nobody is left waiting for an answer.
            for _, future in (*batch, *self._waiting):
                future.cancel()
            self._waiting = []
            self._running = None
