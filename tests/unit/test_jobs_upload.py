"""bot/jobs/ around the upload: only Discord's clear refusal refunds a job.

The job runs for real (real SQLite, the placeholder provider, the fair scheduler); only
the upload itself, which is Discord's part, is played by the `deliver` callback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp
import pytest

from bot.admin.screen import AllowedModels
from bot.credits import CreditDefaults, Credits
from bot.credits.records import JobRecords
from bot.errors import JobFailed
from bot.guilds import Guilds
from bot.jobs.ports import JobUI
from bot.jobs.request import DeliveryError, ImagineRequest, Progress
from bot.jobs.service import JobService
from bot.limits import FairScheduler
from bot.providers import build_router
from bot.providers.base import GeneratedImage
from bot.providers.http import make_http_client
from bot.schema import open_store
from bot.settings import Settings

GUILD, CHANNEL, MEMBER = 1, 2, 3


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[JobService, Credits, JobRecords]]:
    values = {"DISCORD_TOKEN": "token", "PLACEHOLDER_PROVIDER": True,
              "DATABASE_URL": f"sqlite:///{tmp_path / 'fluxcord.db'}"}
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]
    db = await open_store(settings.DATABASE_URL)
    async with make_http_client() as http:
        defaults = CreditDefaults.from_settings(settings)
        credits = Credits(db, defaults)
        records = JobRecords(db)
        jobs = JobService(settings=settings, store=db, credits=credits, guilds=Guilds(db, defaults),
                          records=records, scheduler=FairScheduler(),
                          router=(router := build_router(settings, http)), fetch=_no_fetch,
                          screens=(AllowedModels(router.offered),))
        yield jobs, credits, records
    await db.close()


async def _no_fetch(url: str) -> bytes:
    raise AssertionError("no attachment in these tests")


async def _quiet(progress: Progress) -> None:
    pass


async def _run(jobs: JobService, error: BaseException) -> BaseException:
    async def deliver(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
        raise error

    prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat",
                                                 model="flux-dev"))
    with pytest.raises(BaseException) as raised:
        await jobs.run(prepared, JobUI(_quiet, deliver))
    return raised.value


@pytest.mark.parametrize(
    "error",
    [aiohttp.ClientConnectionError("connection reset"), asyncio.CancelledError(),
     TimeoutError()],
    ids=["transport error", "cancelled", "timeout"],
)
async def test_an_interrupted_upload_is_left_to_recovery_not_refunded(
    service: tuple[JobService, Credits, JobRecords], error: BaseException
) -> None:
    jobs, credits, records = service
    raised = await _run(jobs, error)
    # Discord may already show the image: the charge stands until recovery looks.
    [job] = await records.unfinished_jobs()
    assert job.status == "posting"
    assert (await credits.balance(GUILD, MEMBER)).total == 50 - 3
    if isinstance(error, asyncio.CancelledError):
        assert isinstance(raised, asyncio.CancelledError)
    else:
        assert isinstance(raised, JobFailed)
        assert "did not confirm" in raised.message and "credits are back" not in raised.message


async def test_discords_clear_refusal_of_the_upload_refunds(
    service: tuple[JobService, Credits, JobRecords],
) -> None:
    jobs, credits, records = service
    raised = await _run(jobs, DeliveryError("HTTP 413, code 40005"))
    assert isinstance(raised, JobFailed)
    assert "credits are back" in raised.message
    assert await records.unfinished_jobs() == []
    assert (await credits.balance(GUILD, MEMBER)).total == 50
    assert await credits.audit() == []
