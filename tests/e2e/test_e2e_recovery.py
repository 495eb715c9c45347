"""Start-up recovery through the real bot: jobs a crash left in flight are settled when
their image reached the channel and refunded otherwise; never both, never neither."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.credits import NewJob
from cogs.common.job.result import result_view
from tests.support.e2e_fixtures import World, make_world
from tests.support.standins.discord_api import DiscordStandIn, Perm
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio


async def test_restart_settles_posted_jobs_and_refunds_the_rest(world: World) -> None:
    services = world.runner.services
    bot = world.runner.bot
    assert services is not None and bot is not None
    credits = services.credits

    async def reserve(status: str) -> str:
        job = await credits.reserve(NewJob(
            guild_id=world.guild.id, channel_id=world.general.id, user_id=world.alice.id,
            model="flux-dev", prompt=f"left {status}", cost=3, seed=1,
        ))
        if status != "queued":
            await services.records.mark(job.id, status)
        return job.id

    posted = await reserve("posting")  # the upload went through, then the process died
    lost = await reserve("posting")  # died before the upload reached Discord
    generating = await reserve("generating")
    queued = await reserve("queued")
    channel = bot.get_partial_messageable(world.general.id)
    message = await channel.send("an image", view=result_view(bot, posted))
    assert (await credits.balance(world.guild.id, world.alice.id)).total == 50 - 4 * 3

    await world.runner.restart()
    services = world.runner.services
    assert services is not None
    credits = services.credits
    jobs = {j: await services.records.get_job(j) for j in (posted, lost, generating, queued)}
    assert {j: job.status for j, job in jobs.items() if job} == {
        posted: "settled", lost: "refunded", generating: "refunded", queued: "refunded",
    }
    assert jobs[posted] is not None and jobs[posted].message_id == message.id
    assert await services.records.unfinished_jobs() == []
    assert (await credits.balance(world.guild.id, world.alice.id)).total == 50 - 3
    assert await credits.audit() == []


async def reserve_posting(world: World, prompt: str = "left posting") -> str:
    services = world.runner.services
    assert services is not None
    job = await services.credits.reserve(NewJob(
        guild_id=world.guild.id, channel_id=world.general.id, user_id=world.alice.id,
        model="flux-dev", prompt=prompt, cost=3, seed=1,
    ))
    await services.records.mark(job.id, "posting")
    return job.id


async def status_of(world: World, job_id: str) -> str:
    services = world.runner.services
    assert services is not None
    job = await services.records.get_job(job_id)
    assert job is not None
    return str(job.status)


async def test_a_delivered_image_is_found_however_busy_the_channel_became(world: World) -> None:
    job = await reserve_posting(world)
    bot = world.runner.bot
    assert bot is not None
    message = await bot.get_partial_messageable(world.general.id).send(
        "an image", view=result_view(bot, job))
    for n in range(150):  # the channel moved on while the bot was down
        await world.discord.post_message(world.general, world.bob, f"chatter {n}")

    await world.runner.restart()
    assert await status_of(world, job) == "settled"
    services = world.runner.services
    assert services is not None
    settled_job = await services.records.get_job(job)
    assert settled_job is not None and settled_job.message_id == message.id
    assert (await services.credits.balance(world.guild.id, world.alice.id)).total == 50 - 3


@pytest.fixture
async def clocked_world(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[tuple[World, list[float]]]:
    offset = [0.0]
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  clock=lambda: time.time() + offset[0]):
        yield world, offset


async def test_a_channel_the_bot_cannot_read_keeps_the_job_until_a_day_has_passed(
    clocked_world: tuple[World, list[float]], caplog: pytest.LogCaptureFixture
) -> None:
    world, offset = clocked_world
    job = await reserve_posting(world)

    # Without Read Message History Discord answers an empty history: not a "no".
    world.general.bot_denied = Perm.READ_MESSAGE_HISTORY
    await world.runner.restart()
    assert await status_of(world, job) == "posting"
    assert any("stays reserved" in r.getMessage() and job in r.getMessage()
               for r in caplog.records if r.levelname == "WARNING")

    world.general.bot_denied = 0
    world.discord.fail("GET", "/channels/{channel}/messages", 503)  # Discord failing
    await world.runner.restart()
    assert await status_of(world, job) == "posting"

    world.general.bot_denied = Perm.VIEW_CHANNEL
    offset[0] = 25 * 3600.0
    await world.runner.restart()
    assert await status_of(world, job) == "refunded"
    services = world.runner.services
    assert services is not None
    assert (await services.credits.balance(world.guild.id, world.alice.id)).total == 50
