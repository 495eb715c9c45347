"""Start-up recovery through the real bot: jobs a crash left in flight are settled when
their image reached the channel and refunded otherwise; never both, never neither."""

from __future__ import annotations

import pytest

from bot.credits import NewJob
from cogs._result import result_view
from tests.support.e2e_fixtures import World

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
    message = await channel.send("an image", view=result_view(posted))
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
