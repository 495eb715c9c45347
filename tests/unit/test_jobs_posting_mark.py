"""bot/jobs/ and bot/credits/: marking a job posting. A job ended meanwhile (refunded by
another process's recovery, say, after a shard moved) is never posted: its image would go
out free, and its member be told twice. A job whose balance read fails after its mark is
refunded, and not posted either.

Real SQLite and PostgreSQL, the real services and the placeholder provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from bot.credits import JobEnded, _rules
from bot.credits.rows import JobStatus
from bot.errors import UserError
from bot.jobs.ports import JobUI
from bot.jobs.request import ImagineRequest, Progress
from bot.providers.base import GeneratedImage
from tests.support.jobs import wired_jobs

GUILD, CHANNEL, MEMBER = 1, 2, 3


async def test_a_job_refunded_elsewhere_while_it_generates_is_not_posted(
        store_url: str) -> None:
    delivered: list[str] = []

    async with wired_jobs(store_url) as wired:
        before = (await wired.credits.balance(GUILD, MEMBER)).total

        ids: list[str] = []

        async def progress(state: Progress) -> None:
            if state.state == "generating" and state.job_id:
                ids.append(state.job_id)
                # What recovery in another process does with a job it takes for dead.
                assert await wired.credits.refund(state.job_id, "recovered elsewhere")

        async def deliver(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
            delivered.append(job_id)
            return 1234

        prepared = await wired.jobs.prepare(
            ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat", model="flux-dev"))
        with pytest.raises(UserError):
            await wired.jobs.run(prepared, JobUI(progress, deliver))

        assert delivered == []
        job = await wired.records.get_job(ids[0])
        assert job is not None and job.status is JobStatus.REFUNDED
        assert (await wired.credits.balance(GUILD, MEMBER)).total == before
        assert await wired.credits.audit() == []


async def test_a_job_whose_balance_read_fails_after_its_posting_mark_is_refunded(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The mark and the balance read are no longer one transaction: the read failing
    # (the connection dropped) leaves a job marked posting, which is refunded as any
    # job that failed before its upload, and nothing goes out.
    delivered: list[str] = []

    async def deliver(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
        delivered.append(job_id)
        return 1234

    async def quiet(state: Progress) -> None:
        pass

    async with wired_jobs(store_url) as wired:
        before = (await wired.credits.balance(GUILD, MEMBER)).total
        prepared = await wired.jobs.prepare(
            ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat", model="flux-dev"))
        real = _rules._member_credits
        reads = [0]

        async def second_read_fails(*args: Any, **kwargs: Any) -> Any:
            reads[0] += 1
            if reads[0] == 2:  # the reservation's is the first, posting's the second
                raise OSError("connection reset by peer")
            return await real(*args, **kwargs)

        monkeypatch.setattr(_rules, "_member_credits", second_read_fails)
        with pytest.raises(OSError):
            await wired.jobs.run(prepared, JobUI(quiet, deliver))
        monkeypatch.setattr(_rules, "_member_credits", real)

        assert delivered == []
        rows = await wired.db.read(lambda tx: tx.fetch("SELECT status FROM jobs"))
        assert [row[0] for row in rows] == ["refunded"]
        assert (await wired.credits.balance(GUILD, MEMBER)).total == before
        assert await wired.credits.audit() == []


def test_job_ended_names_the_job() -> None:
    assert "abc" in str(JobEnded("abc"))
