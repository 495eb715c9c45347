"""One job's charge, from its reservation to its settlement or refund: the one door through
which a running job reaches the ledger and its own record (SPEC section 3).

Each step is one transaction. A refund that cannot be written (disk full, database locked)
is tried again until it is, since the credits are the member's; only a stopping bot leaves
it to start-up recovery, which refunds whatever is still reserved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from typing import Any

from bot.credits import Credits, NewJob
from bot.credits.records import JobRecords
from bot.credits.rows import Job, JobStatus
from bot.storage import Rule

log = logging.getLogger(__name__)

# A refund that fails is tried again after these delays, doubling up to the cap.
REFUND_RETRY_FIRST = 0.5
REFUND_RETRY_MAX = 30.0


class Charge:
    """The credits of one reserved job: `reserve` makes it; then `generating`, `posting`,
    `settle`, or `refund` and `refund_part`."""

    def __init__(self, credits: Credits, records: JobRecords, job: Job, *,
                 stopping: Callable[[], bool]) -> None:
        self._credits = credits
        self._records = records
        self.job = job
        self._stopping = stopping

    @classmethod
    async def reserve(cls, credits: Credits, records: JobRecords, new: NewJob, *,
                      also: Callable[[str], Rule[Any] | None] | None = None,
                      stopping: Callable[[], bool]) -> Charge:
        """Charges the job's cost and records it as queued (or generating), atomically,
        with what `also(job id)` writes (raises OutOfCredits or BudgetExhausted, having
        changed nothing). `stopping()`: True once the bot stops, when a refund that fails
        is left to start-up recovery."""
        return cls(credits, records, await credits.reserve(new, also), stopping=stopping)

    @property
    def id(self) -> str:
        return self.job.id

    async def generating(self) -> None:
        """The job left the queue for its provider (nothing to write for a job reserved
        as generating, which started at its admission)."""
        if self.job.status != JobStatus.GENERATING:
            await self._records.mark(self.id, JobStatus.GENERATING)

    async def posting(self, provider: str, role_ids: Collection[int]) -> int:
        """Records that the job's images, made by `provider`, are about to be posted; the
        member's balance to show beside them."""
        job = self.job
        return (await self._credits.posting(self.id, provider, job.guild_id, job.user_id,
                                            role_ids)).total

    async def settle(self, message_id: int) -> bool:
        """The images are in the channel: the charge is final (exactly once)."""
        return await self._credits.settle(self.id, message_id)

    async def refund_part(self, amount: int, reason: str) -> bool:
        """Gives back `amount` credits of images that failed while the others go out."""
        return await self._credits.refund_part(self.id, amount, reason)

    async def refund(self, reason: str) -> None:
        """Refunds the job, trying again with growing delays until the refund is written."""
        delay = REFUND_RETRY_FIRST
        while True:
            try:
                await self._credits.refund(self.id, reason)
                return
            except Exception as exc:
                if self._stopping():  # start-up recovery refunds what is still reserved
                    log.error("refund of job %s failed at shutdown (%s); left to recovery",
                              self.id, exc)
                    return
                log.warning("refund of job %s failed (%s); trying again in %.1f s",
                            self.id, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, REFUND_RETRY_MAX)
