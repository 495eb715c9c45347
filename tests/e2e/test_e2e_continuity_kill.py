"""A real bot process (`python -m bot`) killed with SIGKILL at each stage of a job, then
started again: what the member sees in the Discord stand-in, and what the ledger says
(charged once, or refunded once)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.admin import store as admin_store
from bot.continuity import store as continuity_store
from bot.credits.rows import Job, JobStatus
from bot.schema import open_store
from tests.support.e2e_fixtures import private_text, results
from tests.support.restart_scene import Scene, buttons, restart_scene
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio

RESTARTED = "The bot restarted while making your image; your {} credits are back."


@pytest.fixture
async def scene(tmp_path: Path, provider_standins: ProviderStandIns
                ) -> AsyncIterator[Scene]:
    async for each in restart_scene(tmp_path, provider_standins, config=None, bfl=False,
                                    posting_check_seconds=None):
        yield each


def is_generating(job: Job) -> bool:
    return job.status == JobStatus.GENERATING


async def submitted_at_apiframe(scene: Scene) -> str:
    """The apiframe job id once the bot has stored it."""
    db = await open_store(scene.url)
    try:
        for _ in range(600):
            jobs = await scene.jobs()
            if jobs:
                row = await db.read(lambda tx, i=jobs[0].id: continuity_store.resume_row(tx, i))
                if row is not None and row.provider_job_id:
                    return row.provider_job_id
            await asyncio.sleep(0.05)
    finally:
        await db.close()
    raise AssertionError(f"no apiframe job stored\n{scene.bot.log}")


async def assert_resumed_through_the_interaction(scene: Scene, ix: object) -> Job:
    """The image is posted once, publicly, through the member's interaction; the job is
    charged once; apiframe made one job for it."""
    (job,) = await scene.wait_for("settled", lambda jobs: jobs[0].status == JobStatus.SETTLED)
    await scene.discord.wait_until(lambda: bool(results(scene.channel)), timeout=10)
    (posted,) = results(scene.channel)
    assert posted.id == job.message_id
    assert not posted.ephemeral
    assert posted in ix.followups  # type: ignore[attr-defined]
    await ix.wait_until(  # type: ignore[attr-defined]
        lambda i: private_text(i).startswith("Done: https://discord.com/channels/"),
        timeout=10)
    assert await scene.ledger_moves(job.id) == ["reserve"]
    assert await scene.balance() == 50 - job.cost
    apiframe = scene.providers.apiframe
    assert len(apiframe.generation_bodies()) == 1  # no second submit, no second charge
    assert list(apiframe.submits_per_key.values()) == [1]
    assert ix.token not in scene.bot.log  # type: ignore[attr-defined]
    return job


async def test_killed_after_the_submit_to_apiframe_resumes_polling(scene: Scene) -> None:
    # A long poll interval: the process dies after the submit, before its first poll.
    scene.bot.env["APIFRAME_POLL_SECONDS"] = "30"
    await scene.bot.kill()
    await scene.bot.start()
    await scene.bot.ready()
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                                   model="flux-1.1-pro")
    await submitted_at_apiframe(scene)
    assert scene.providers.apiframe.recorded("/v2/jobs/") == []  # not polled yet

    await scene.restart(APIFRAME_POLL_SECONDS="0.05")
    await assert_resumed_through_the_interaction(scene, ix)


async def test_killed_while_polling_apiframe_resumes_polling(scene: Scene) -> None:
    apiframe = scene.providers.apiframe
    apiframe.inject("stuck")
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                                   model="flux-1.1-pro")
    provider_job = await submitted_at_apiframe(scene)
    await scene.discord.wait_until(lambda: apiframe.jobs[provider_job].polls >= 2)

    await scene.bot.kill()
    apiframe.jobs[provider_job].stuck = False  # finished at apiframe while the bot was down
    await scene.restart()
    await assert_resumed_through_the_interaction(scene, ix)


async def test_killed_while_downloading_resumes_and_downloads_again(scene: Scene) -> None:
    apiframe = scene.providers.apiframe
    apiframe.inject("slow_download", seconds=60)
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                                   model="flux-1.1-pro")
    await scene.discord.wait_until(lambda: bool(apiframe.recorded("/cdn/")), timeout=20)
    (job,) = await scene.jobs()
    assert job.status == JobStatus.GENERATING

    await scene.restart()
    await assert_resumed_through_the_interaction(scene, ix)


async def test_killed_while_posting_resumes_and_posts_once(scene: Scene) -> None:
    followup = ("POST", "/webhooks/{app}/{token}")
    scene.discord.slow(*followup, 3.0)
    scene.discord.fail(*followup, 503)  # what reaches Discord after the kill is lost
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                                   model="flux-1.1-pro")
    await scene.wait_for("posting", lambda jobs: bool(jobs) and jobs[0].status == JobStatus.POSTING)
    await scene.bot.kill()
    await asyncio.sleep(3.5)  # the held upload ends (refused) at the stand-in
    scene.discord.rest.delays.clear()
    scene.discord.rest.faults.clear()
    assert results(scene.channel) == []

    await scene.restart()
    await assert_resumed_through_the_interaction(scene, ix)


async def test_resumed_after_the_token_expired_posts_in_the_channel_with_a_mention(
    scene: Scene,
) -> None:
    apiframe = scene.providers.apiframe
    apiframe.inject("stuck")
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                                   model="flux-1.1-pro")
    provider_job = await submitted_at_apiframe(scene)
    await scene.bot.kill()
    apiframe.jobs[provider_job].stuck = False
    scene.discord.token_ttl = 0.0  # the member's interaction is over by now

    await scene.restart()
    (job,) = await scene.wait_for("settled", lambda jobs: jobs[0].status == JobStatus.SETTLED)
    (posted,) = results(scene.channel)
    assert posted.id == job.message_id
    assert posted.content == f"<@{scene.alice.id}>"
    assert posted not in ix.followups
    assert await scene.ledger_moves(job.id) == ["reserve"]
    assert len(apiframe.generation_bodies()) == 1


async def test_killed_mid_request_at_onemin_is_refunded_and_told_with_try_again(
    scene: Scene,
) -> None:
    onemin = scene.providers.onemin
    onemin.inject("slow", times=1, seconds=120)
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                                   model="flux-dev")
    await scene.wait_for("generating", lambda jobs: bool(jobs) and is_generating(jobs[0]))
    await scene.discord.wait_until(lambda: onemin.in_flight >= 1, timeout=10)

    await scene.restart()
    (job,) = await scene.jobs()
    assert job.status == JobStatus.REFUNDED
    assert await scene.ledger_moves(job.id) == ["refund: interrupted by a restart", "reserve"]
    assert await scene.balance() == 50
    await ix.wait_until(lambda i: private_text(i) == RESTARTED.format(job.cost), timeout=10)
    assert ix.original is not None
    assert buttons(ix.original) == ["Try again"]

    # Try again: the same options, a new job, charged now.
    onemin.release()
    again = await scene.discord.click(ix.original, f"fluxcord:again:{job.id}", scene.alice)
    jobs = await scene.wait_for("retried", lambda jobs: len(jobs) == 2
                                and jobs[1].status == JobStatus.SETTLED)
    retried = jobs[1]
    assert (retried.prompt, retried.model, retried.seed) == (job.prompt, job.model, job.seed)
    assert await scene.ledger_moves(retried.id) == ["reserve"]
    assert await scene.balance() == 50 - retried.cost
    await again.wait_until(lambda i: private_text(i).startswith("Done"), timeout=10)
    assert len(results(scene.channel)) == 1


async def test_killed_while_queued_is_refunded_and_told(scene: Scene) -> None:
    scene.bot.env["MAX_JOBS_PER_MEMBER"] = "1"
    await scene.bot.kill()
    await scene.bot.start()
    await scene.bot.ready()
    onemin = scene.providers.onemin
    onemin.inject("slow", times=1, seconds=120)
    first = await scene.discord.slash(scene.channel, scene.alice, "imagine",
                                      prompt="first", model="flux-dev")
    await scene.wait_for("generating", lambda jobs: bool(jobs) and is_generating(jobs[0]))
    queued = await scene.discord.slash(scene.channel, scene.alice, "imagine",
                                       prompt="second", model="flux-dev")
    await queued.wait_until(lambda i: i.original is not None
                            and str(i.original.content).startswith("Queued"), timeout=10)

    await scene.restart()
    jobs = await scene.jobs()
    assert [j.status for j in jobs] == [JobStatus.REFUNDED] * 2
    for ix, job in zip((first, queued), jobs, strict=True):
        await ix.wait_until(lambda i, j=job: private_text(i) == RESTARTED.format(j.cost),
                            timeout=10)
        assert buttons(ix.original) == ["Try again"]
        assert await scene.ledger_moves(job.id) == [
            "refund: interrupted by a restart", "reserve"]
    assert await scene.balance() == 50
    assert results(scene.channel) == []


async def test_a_resumed_result_speaks_the_servers_language(scene: Scene) -> None:
    scene.bot.env["APIFRAME_POLL_SECONDS"] = "30"
    await scene.bot.kill()
    await scene.bot.start()
    await scene.bot.ready()
    db = await open_store(scene.url)
    try:
        await db.write(lambda tx: admin_store.set_language(tx, scene.guild.id, "de"))
    finally:
        await db.close()
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                                   model="flux-1.1-pro")
    await submitted_at_apiframe(scene)

    await scene.restart(APIFRAME_POLL_SECONDS="0.05")
    await scene.discord.wait_until(lambda: bool(results(scene.channel)), timeout=10)
    (posted,) = results(scene.channel)
    fields = {f["name"]: f["value"] for f in posted.embeds[0]["fields"]}
    assert "Kosten" in fields, fields
    assert "Neu würfeln" in buttons(posted), buttons(posted)
    await ix.wait_until(lambda i: private_text(i).startswith("Fertig: https://"), timeout=10)
