"""bot/jobs/: the database transactions on a job's way, which the member waits for.

Between the provider and the upload the job is marked posting and the member's balance
for the result is read in one transaction; a job that starts at once keeps the safety
cap its checks read a moment before, while one that starts later reads it again.

Real SQLite and PostgreSQL, the real services and the placeholder provider; only the
transactions are counted, around the store, and the upload (Discord's part) is played by
the `deliver` callback.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import pytest

from bot.admin.screen import AllowedModels
from bot.credits import Credits
from bot.credits.records import JobRecords
from bot.errors import JobFailed
from bot.guilds import Guilds
from bot.jobs.ports import JobUI
from bot.jobs.request import ImagineRequest, Progress
from bot.jobs.service import JobService
from bot.providers.base import GeneratedImage
from bot.storage import Store
from tests.support.jobs import CountedStore, wired_jobs

GUILD, CHANNEL, MEMBER = 1, 2, 3


@pytest.fixture
async def wired(store_url: str
                ) -> AsyncIterator[tuple[JobService, CountedStore, Credits, JobRecords]]:
    async with wired_jobs(store_url, screens=lambda db, settings, router: (
            AllowedModels(router.offered),)) as w:
        yield w.jobs, w.db, w.credits, w.records


async def test_posting_is_marked_with_the_balance_read_in_one_transaction(
    wired: tuple[JobService, CountedStore, Credits, JobRecords],
) -> None:
    jobs, db, credits, records = wired
    await credits.grant(GUILD, MEMBER, 20, "a gift", actor_id=None)
    seen: dict[str, Any] = {}

    async def on_progress(progress: Progress) -> None:
        if progress.state == "generating":
            seen["generating"] = db.count

    async def deliver(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
        seen["between"] = db.count - seen["generating"]
        seen["balance"] = balance
        seen["job"] = await records.get_job(job_id)
        return 1234

    prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat",
                                                 model="flux-dev"))
    await jobs.run(prepared, JobUI(on_progress, deliver))
    # The placeholder keeps no provider job: after its image, one transaction only.
    assert seen["between"] == 1
    assert seen["job"].status == "posting"
    assert seen["job"].provider == "placeholder"
    # The balance shown is the one the member has, the job's cost already taken.
    assert seen["balance"] == 50 + 20 - 3 == (await credits.balance(GUILD, MEMBER)).total
    assert await credits.audit() == []


async def test_a_job_that_starts_at_once_does_not_read_the_cap_again(
    wired: tuple[JobService, CountedStore, Credits, JobRecords],
) -> None:
    jobs, db, _, _ = wired
    prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat",
                                                 model="flux-dev"))
    checked = db.count
    seen: list[int] = []

    async def on_progress(progress: Progress) -> None:
        if progress.state == "generating":
            seen.append(db.count - checked)

    await jobs.run(prepared, JobUI(on_progress, _posted))
    # The reservation only: the cap is the one just read, and a job that starts at once
    # is reserved as generating, with no mark of its own.
    assert seen == [1]


async def test_a_job_that_starts_later_reads_the_cap_as_it_is_then(
    wired: tuple[JobService, CountedStore, Credits, JobRecords], store_url: str,
) -> None:
    jobs, db, credits, _ = wired
    prepared = await jobs.prepare(ImagineRequest(
        GUILD, CHANNEL, MEMBER, "a cat", model="flux-dev", options={"safety_tolerance": 2}))
    await Guilds(cast(Store, db), credits.defaults).set_safety_cap(GUILD, 1)
    prepared.cap_read_at -= 60  # checked a minute ago (a confirmation, say)
    with pytest.raises(JobFailed) as failed:
        await jobs.run(prepared, JobUI(_quiet, _posted))
    assert "The cap changed while your job waited" in failed.value.message
    assert (await credits.balance(GUILD, MEMBER)).total == 50
    assert await credits.audit() == []


async def _quiet(progress: Progress) -> None:
    pass


async def _posted(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
    return 1234


async def test_the_images_are_let_go_once_uploaded_before_the_settlement(
    wired: tuple[JobService, CountedStore, Credits, JobRecords],
) -> None:
    # The settlement may wait for the database behind a burst's other jobs: the images
    # (a megabyte each) must not wait with it, beyond their MAX_IMAGES_IN_FLIGHT slot.
    jobs, db, _, _ = wired
    kept: list[GeneratedImage] = []
    holders: list[list[str]] = []

    async def deliver(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
        kept.append(images[0])
        return 1234

    def on_write() -> None:
        if kept:  # the settlement: the only write after the upload
            holders.append([type(r).__name__ for r in gc.get_referrers(kept[0])
                            if r is not kept])

    db.on_write = on_write
    prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat",
                                                 model="flux-dev"))
    await jobs.run(prepared, JobUI(_quiet, deliver))
    assert holders == [[]]
