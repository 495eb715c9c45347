"""bot/jobs/ asks its UI to confirm a job that costs more than `CONFIRM_ABOVE`, before
anything is reserved: an unconfirmed job costs nothing and makes nothing.

The job runs for real (real SQLite, the placeholder provider); only Discord's side, the
question and the upload, is played by the UI's callbacks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.credits import CreditDefaults, Credits
from bot.credits.records import JobRecords
from bot.guilds import Guilds
from bot.jobs.ports import JobUI
from bot.jobs.request import ImagineRequest, Progress
from bot.jobs.service import JobService
from bot.limits import FairScheduler
from bot.providers import build_router
from bot.providers.base import GeneratedImage
from bot.providers.http import make_http_client
from bot.schema import open_store
from bot.settings import Settings

GUILD, CHANNEL, MEMBER = 1, 2, 3


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[JobService, Credits]]:
    values = {"DISCORD_TOKEN": "token", "PLACEHOLDER_PROVIDER": True, "CONFIRM_ABOVE": 5,
              "DATABASE_URL": f"sqlite:///{tmp_path / 'fluxcord.db'}"}
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]
    db = await open_store(settings.DATABASE_URL)
    async with make_http_client() as http:
        defaults = CreditDefaults.from_settings(settings)
        credits = Credits(db, defaults)
        jobs = JobService(settings=settings, store=db, credits=credits,
                          guilds=Guilds(db, defaults), records=JobRecords(db),
                          scheduler=FairScheduler(), router=build_router(settings, http),
                          fetch=_no_fetch)
        yield jobs, credits
    await db.close()


async def _no_fetch(url: str) -> bytes:
    raise AssertionError("no attachment in these tests")


class Member:
    """Discord's side of one job: the answer to the cost question, what was asked and
    what was posted."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[tuple[int, str]] = []
        self.posted: list[str] = []

    async def confirm(self, cost: int, what: str) -> bool:
        self.asked.append((cost, what))
        return self.answer

    async def progress(self, progress: Progress) -> None:
        pass

    async def deliver(self, job_id: str, images: Sequence[GeneratedImage], balance: int
                      ) -> int:
        self.posted.append(job_id)
        return 1

    def ui(self) -> JobUI:
        return JobUI(self.progress, self.deliver, confirm=self.confirm)


async def _run(jobs: JobService, member: Member, count: int) -> bool:
    prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat",
                                                 model="flux-dev", count=count))
    return await jobs.run(prepared, member.ui())


async def test_a_cheap_job_asks_nothing(service: tuple[JobService, Credits]) -> None:
    jobs, credits = service
    member = Member(answer=False)
    assert await _run(jobs, member, count=1) is True  # 3 credits: under the threshold
    assert member.asked == [] and len(member.posted) == 1
    assert (await credits.balance(GUILD, MEMBER)).total == 50 - 3


async def test_a_costly_job_runs_only_once_confirmed(service: tuple[JobService, Credits]
                                                     ) -> None:
    jobs, credits = service
    refused = Member(answer=False)
    assert await _run(jobs, refused, count=2) is False
    assert refused.asked == [(6, "FLUX.1 [dev]")] and refused.posted == []
    assert (await credits.balance(GUILD, MEMBER)).total == 50  # nothing reserved
    agreed = Member(answer=True)
    assert await _run(jobs, agreed, count=2) is True
    assert agreed.asked == [(6, "FLUX.1 [dev]")] and len(agreed.posted) == 1
    assert (await credits.balance(GUILD, MEMBER)).total == 50 - 6
    assert await credits.audit() == []
