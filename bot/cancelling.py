"""Jobs a member may still cancel: reserved and waiting in the queue, not yet at a provider.

A cancelled job's task is cancelled where it waits; the job service then refunds it and
says so (`JobCancelled`) instead of treating it as a stop of the bot.
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum
from typing import Any

from bot.errors import UserError

log = logging.getLogger(__name__)


class CancelOutcome(StrEnum):
    CANCELLED = "cancelled"
    NOT_YOURS = "not yours"
    STARTED = "started"  # already at the provider
    UNKNOWN = "unknown"  # finished, or never waited here


class JobCancelled(UserError):
    """The requester cancelled the job while it waited; its credits are back."""


class WaitingJobs:
    """The queued jobs of this process, by job id, with who asked and the task running each."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[int, asyncio.Task[Any]]] = {}
        self._started: set[str] = set()
        self._cancelled: set[str] = set()

    def wait(self, job_id: str, user_id: int) -> None:
        """The job, run by the current task, is reserved and about to wait for its turn."""
        task = asyncio.current_task()
        if task is not None:
            self._waiting[job_id] = (user_id, task)

    def counts(self) -> tuple[int, int]:
        """How many jobs wait in the queue, and how many left it and are still running."""
        return len(self._waiting), len(self._started)

    def start(self, job_id: str) -> None:
        """The job leaves the queue for the provider: it can no longer be cancelled."""
        if self._waiting.pop(job_id, None) is not None:
            self._started.add(job_id)

    def forget(self, job_id: str) -> None:
        """The job is over, whichever way."""
        self._waiting.pop(job_id, None)
        self._started.discard(job_id)
        self._cancelled.discard(job_id)

    def cancel(self, job_id: str, user_id: int) -> CancelOutcome:
        """Cancels a waiting job of `user_id`'s; says why not otherwise."""
        if job_id in self._started:
            return CancelOutcome.STARTED
        waiting = self._waiting.get(job_id)
        if waiting is None:
            return CancelOutcome.UNKNOWN
        owner, task = waiting
        if owner != user_id:
            return CancelOutcome.NOT_YOURS
        del self._waiting[job_id]
        self._cancelled.add(job_id)
        task.cancel()
        log.info("job %s cancelled by its requester while queued", job_id)
        return CancelOutcome.CANCELLED

    def cancelled(self, job_id: str, exc: BaseException) -> bool:
        """True when `exc` is the requester's cancel of `job_id` (not a stop of the bot);
        the task then carries on as if never cancelled, to refund and say so."""
        if not isinstance(exc, asyncio.CancelledError) or job_id not in self._cancelled:
            return False
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        return True
