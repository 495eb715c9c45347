"""Where a job is: its progress between reservation and settlement, as stored. The credit
side of a job (reserve, settle, refund) is in `bot.credits`."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.credits import store
from bot.credits.rows import Job, JobStatus
from bot.storage.base import Store


class JobRecords:
    """Job status over one `Store`."""

    def __init__(self, db: Store, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def mark(self, job_id: str, status: JobStatus | str, provider: str | None = None
                   ) -> bool:
        """Records an unfinished job's progress: 'generating' (with its provider) or
        'posting'. False when the job is unknown or already finished."""
        status = JobStatus(status)
        if status not in (JobStatus.GENERATING, JobStatus.POSTING):
            raise ValueError(f"mark() takes generating or posting, not {status}")
        now = self._clock()
        return await self._db.write(
            lambda tx: store.advance_job(tx, job_id, status, now, provider=provider),
            one_statement=True,
        )

    async def get_job(self, job_id: str) -> Job | None:
        """The job, whatever its status, or None."""
        return await self._db.read(lambda tx: store.job(tx, job_id))

    async def delete_result(self, job_id: str) -> bool:
        """Records that the job's result was deleted, for good, and drops every file kept
        of it; False when it already was (or the job is unknown)."""
        now = self._clock()
        return await self._db.write(lambda tx: store.delete_result(tx, job_id, now))

    async def unfinished_jobs(self) -> list[Job]:
        """Jobs queued, generating or posting, oldest first: after a crash, what it left."""
        return await self._db.read(lambda tx: store.unfinished_jobs(tx))
