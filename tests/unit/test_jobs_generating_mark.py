"""bot/jobs/: a job that starts at its admission is reserved as generating, with no mark
of its own; one that waits in the queue is reserved as queued and marked generating as it
starts. Either way the job is `generating` while its provider works.

Real SQLite and PostgreSQL, the real services and the placeholder provider; the
transactions are counted around the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from bot.credits.records import JobRecords
from bot.credits.rows import JobStatus
from bot.jobs.ports import JobUI
from bot.jobs.request import ImagineRequest, Progress
from bot.jobs.service import JobService
from bot.limits import FairScheduler
from bot.providers.base import GeneratedImage
from tests.support.jobs import CountedStore, wired_jobs

GUILD, CHANNEL, MEMBER = 1, 2, 3


@pytest.fixture
async def wired(store_url: str) -> AsyncIterator[tuple[JobService, CountedStore, JobRecords]]:
    async with wired_jobs(store_url, scheduler=FairScheduler(per_member=1)) as w:
        yield w.jobs, w.db, w.records


async def _posted(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
    return 1234


async def test_a_job_that_starts_at_once_is_reserved_as_generating(
    wired: tuple[JobService, CountedStore, JobRecords],
) -> None:
    jobs, db, records = wired
    seen: list[tuple[int, Any]] = []

    async def on_progress(progress: Progress) -> None:
        if progress.state == "generating":
            seen.append((db.writes, await records.get_job(progress.job_id)))

    await jobs.run(await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat",
                                                     model="flux-dev")),
                   JobUI(on_progress, _posted))
    ((writes, job),) = seen
    assert (writes, job.status) == (1, JobStatus.GENERATING)  # the reservation alone
    assert (await records.get_job(job.id)).status == JobStatus.SETTLED


async def test_a_job_that_waits_is_queued_until_it_starts(
    wired: tuple[JobService, CountedStore, JobRecords],
) -> None:
    jobs, _, records = wired
    first_generating, go_on = asyncio.Event(), asyncio.Event()
    statuses: dict[str, list[JobStatus]] = {"first": [], "second": []}

    def watch(name: str) -> Any:
        async def on_progress(progress: Progress) -> None:
            job = await records.get_job(progress.job_id)
            assert job is not None
            statuses[name].append(job.status)
            if name == "first" and progress.state == "generating":
                first_generating.set()
                await go_on.wait()  # holds the member's one slot
        return on_progress

    async def run(name: str) -> None:
        prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, name,
                                                     model="flux-dev"))
        await jobs.run(prepared, JobUI(watch(name), _posted))

    first = asyncio.create_task(run("first"))
    await first_generating.wait()
    second = asyncio.create_task(run("second"))
    for _ in range(200):
        if statuses["second"]:
            break
        await asyncio.sleep(0.01)
    go_on.set()
    await asyncio.gather(first, second)
    assert statuses["first"] == [JobStatus.GENERATING]
    # Shown queued while it waited, then generating once it started.
    assert statuses["second"] == [JobStatus.QUEUED, JobStatus.GENERATING]
