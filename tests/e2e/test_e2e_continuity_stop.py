"""A real bot process (`python -m bot`) stopped with SIGTERM while jobs are at apiframe
and BFL: they are left for the next start (not refunded), their members told, and
resumed then, charged once; unless the bot stayed down longer than the provider keeps a
job. Also a job of several images cut by kill -9, a Confirm answered after a restart, and
the budget alert of a job recovery settled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.credits import CreditDefaults, Credits
from bot.credits.rows import Job, JobStatus
from bot.schema import open_store
from tests.support.e2e_fixtures import private_text, results
from tests.support.restart_scene import (
    Scene,
    age_jobs,
    buttons,
    check,
    restart_scene,
    stored_submissions,
)
from tests.support.standins.discord_api import Perm
from tests.support.standins.discord_models import Message
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio

LEFT = ("fluxcord is restarting while your image is being made. It will be posted here "
        "after the restart; if it cannot be, your {} credits come back then.")
EXPIRED = ("fluxcord was stopped for longer than BFL keeps images, so your image could not "
           "be posted; your {} credits are back.")


@pytest.fixture
async def scene(tmp_path: Path, provider_standins: ProviderStandIns
                ) -> AsyncIterator[Scene]:
    async for scene in restart_scene(tmp_path, provider_standins):
        yield scene


async def at_apiframe_and_bfl(scene: Scene) -> tuple[object, object, str, str]:
    """A job waiting at apiframe and one waiting at BFL, both stored."""
    apiframe, bfl = scene.providers.apiframe, scene.providers.bfl
    apiframe.inject("stuck")
    bfl.polls_to_complete = 10**6
    at_apiframe = await scene.discord.slash(scene.channel, scene.alice, "imagine",
                                            prompt="a harbour", model="flux-1.1-pro")
    await stored_submissions(scene, 1)
    at_bfl = await scene.discord.slash(scene.channel, scene.alice, "imagine",
                                       prompt="a lighthouse", model="flux-pro")
    apiframe_job, bfl_task = await stored_submissions(scene, 2)
    await scene.discord.wait_until(lambda: bfl.tasks[bfl_task].polls >= 1, timeout=10)
    return at_apiframe, at_bfl, apiframe_job, bfl_task


async def test_a_stop_leaves_jobs_at_apiframe_and_bfl_for_the_next_start(scene: Scene) -> None:
    apiframe, bfl = scene.providers.apiframe, scene.providers.bfl
    at_apiframe, at_bfl, apiframe_job, _ = await at_apiframe_and_bfl(scene)

    assert await scene.bot.stop() == 0  # SIGTERM; the grace period (0.2 s) runs out
    assert "left 2 jobs at their provider for the next start" in scene.bot.log
    jobs = await scene.jobs()
    assert [j.status for j in jobs] == [JobStatus.GENERATING] * 2  # not refunded
    for ix, job in zip((at_apiframe, at_bfl), jobs, strict=True):
        assert private_text(ix) == LEFT.format(job.cost)
        assert await scene.ledger_moves(job.id) == ["reserve"]
    assert ("jobs left waiting: 2 (2 at their provider, resumed at the next start; "
            "0 posting, looked for in their channel; 0 refunded at the next start)"
            in await check(scene))

    apiframe.jobs[apiframe_job].stuck = False  # both finish while the bot is down
    bfl.polls_to_complete = 1
    await scene.bot.start()
    await scene.bot.ready()
    jobs = await scene.wait_for("settled", lambda jobs: all(
        j.status == JobStatus.SETTLED for j in jobs))
    await scene.bot.wait_for("2 resumed")
    posted = results(scene.channel)
    assert sorted(m.id for m in posted) == sorted(j.message_id for j in jobs)
    for ix, job in zip((at_apiframe, at_bfl), jobs, strict=True):
        await ix.wait_until(  # type: ignore[attr-defined]
            lambda i: private_text(i).startswith("Done: https://discord.com/channels/"),
            timeout=10)
        assert any(m.id == job.message_id for m in ix.followups)  # type: ignore[attr-defined]
        assert await scene.ledger_moves(job.id) == ["reserve"]  # charged once
    assert await scene.balance() == 50 - sum(j.cost for j in jobs)
    # No second submit, no second charge at either provider.
    assert len(apiframe.generation_bodies()) == 1
    assert len(bfl.recorded("/v1/flux-pro", "POST")) == 1
    said = await check(scene)
    assert "last start's recovery: 2 resumed, 0 settled, 0 refunded, 0 left waiting" in said
    assert "jobs left waiting: 0 " in said


async def test_a_job_left_longer_than_bfl_keeps_it_is_refunded_and_told(scene: Scene) -> None:
    bfl = scene.providers.bfl
    _, at_bfl, _, bfl_task = await at_apiframe_and_bfl(scene)
    assert await scene.bot.stop() == 0
    bfl_job = (await scene.jobs())[1]
    assert private_text(at_bfl) == LEFT.format(bfl_job.cost)

    await age_jobs(scene, 11 * 60)  # BFL's result link lasts 10 minutes
    bfl.polls_to_complete = 1
    polls = bfl.tasks[bfl_task].polls
    await scene.bot.start()
    await scene.bot.ready()
    jobs = await scene.wait_for("refunded", lambda jobs: jobs[1].status == JobStatus.REFUNDED)
    assert await scene.ledger_moves(jobs[1].id) == [
        "refund: bfl no longer keeps the job", "reserve"]
    await at_bfl.wait_until(  # type: ignore[attr-defined]
        lambda i: private_text(i) == EXPIRED.format(bfl_job.cost), timeout=10)
    assert buttons(at_bfl.original) == ["Try again"]  # type: ignore[attr-defined]
    assert bfl.tasks[bfl_task].polls == polls  # not asked again
    # apiframe keeps its jobs longer: that one is resumed (still stuck there).
    assert jobs[0].status == JobStatus.GENERATING
    await scene.bot.wait_for("1 resumed, 0 settled, 1 refunded")


async def killed_during_a_job_of_three(scene: Scene) -> tuple[object, Job, list[str]]:
    """kill -9 while two images of a `count:3` job are at apiframe and one is made."""
    apiframe = scene.providers.apiframe
    apiframe.inject("stuck", times=2)
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                                   model="flux-1.1-pro", count=3)
    # Each image polled at apiframe (so its provider job is kept), one made and
    # downloaded: it waits in memory for the other two.
    await scene.discord.wait_until(lambda: len(apiframe.jobs) == 3 and all(
        job.polls >= 1 for job in apiframe.jobs.values()), timeout=20)
    await scene.discord.wait_until(lambda: len(apiframe.recorded("/cdn/")) == 1, timeout=20)
    provider_jobs = list(apiframe.jobs)
    await scene.bot.kill()
    (job,) = await scene.jobs()
    assert job.status == JobStatus.GENERATING
    return ix, job, provider_jobs


async def test_killed_during_a_job_of_three_posts_all_three_once(scene: Scene) -> None:
    apiframe = scene.providers.apiframe
    ix, job, provider_jobs = await killed_during_a_job_of_three(scene)
    for provider_job in provider_jobs:
        apiframe.jobs[provider_job].stuck = False

    await scene.restart()
    (job,) = await scene.wait_for("settled", lambda jobs: jobs[0].status == JobStatus.SETTLED)
    (posted,) = results(scene.channel)  # the three images in one message
    assert posted.id == job.message_id
    assert len(posted.attachments) == 3
    assert await scene.ledger_moves(job.id) == ["reserve"]  # charged once, in full
    assert await scene.balance() == 50 - job.cost == 50 - 3 * 4
    assert len(apiframe.generation_bodies()) == 3  # no image submitted twice
    await ix.wait_until(  # type: ignore[attr-defined]
        lambda i: private_text(i).startswith("Done: https://discord.com/channels/"),
        timeout=10)


async def test_killed_during_a_job_of_three_refunds_the_image_lost(scene: Scene) -> None:
    apiframe = scene.providers.apiframe
    ix, job, provider_jobs = await killed_during_a_job_of_three(scene)
    stuck = [j for j in provider_jobs if apiframe.jobs[j].stuck]
    assert len(stuck) == 2
    apiframe.jobs[stuck[0]].stuck = False
    apiframe.jobs[stuck[1]].stuck = False
    apiframe.jobs[stuck[1]].failure = "Provider returned an error: upstream unavailable"

    await scene.restart()
    (job,) = await scene.wait_for("settled", lambda jobs: jobs[0].status == JobStatus.SETTLED)
    (posted,) = results(scene.channel)
    assert len(posted.attachments) == 2
    assert job.cost == 2 * 4
    moves = await scene.ledger_moves(job.id)
    assert len(moves) == 2 and moves[1] == "reserve"
    assert moves[0].startswith("partial refund: 2 of 3 images resumed after a restart")
    assert await scene.balance() == 50 - 2 * 4
    assert "1 of 3 images were lost in a restart; their 4 credits are back." in str(
        posted.embeds[0])
    assert len(apiframe.generation_bodies()) == 3
    await ix.wait_until(  # type: ignore[attr-defined]
        lambda i: private_text(i).startswith("Done: https://discord.com/channels/"),
        timeout=10)


async def test_an_image_refunded_before_the_kill_is_not_posted_after_it(scene: Scene) -> None:
    apiframe = scene.providers.apiframe
    ix, job, provider_jobs = await killed_during_a_job_of_three(scene)
    # One of the three had failed and been given back before the kill; at apiframe, all
    # three are made by the time the bot is back.
    db = await open_store(scene.url)
    try:
        assert await Credits(db, CreditDefaults()).refund_part(job.id, 4, "onemin: ServerError")
    finally:
        await db.close()
    for provider_job in provider_jobs:
        apiframe.jobs[provider_job].stuck = False

    await scene.restart()
    (job,) = await scene.wait_for("settled", lambda jobs: jobs[0].status == JobStatus.SETTLED)
    (posted,) = results(scene.channel)
    assert len(posted.attachments) == 2  # what the charge still pays for
    assert job.cost == 2 * 4
    assert await scene.balance() == 50 - 2 * 4
    assert await scene.ledger_moves(job.id) == ["partial refund: onemin: ServerError",
                                                "reserve"]
    await ix.wait_until(  # type: ignore[attr-defined]
        lambda i: private_text(i).startswith("Done: https://discord.com/channels/"),
        timeout=10)


async def asked_to_confirm(scene: Scene) -> Any:
    """Alice's /imagine of flux-dev, asking her to confirm its cost (3, above 1)."""
    scene.bot.env["CONFIRM_ABOVE"] = "1"
    await scene.bot.kill()
    await scene.bot.start()
    await scene.bot.ready()
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                                   model="flux-dev")
    await ix.wait_until(lambda i: i.original is not None
                        and "Confirm within" in str(i.original.content), timeout=20)
    return ix


async def test_a_confirm_clicked_after_a_restart_runs_the_job_once(scene: Scene) -> None:
    ix = await asked_to_confirm(scene)
    question = ix.original
    assert question is not None

    await scene.restart()  # kill -9: the question was open, nothing reserved
    assert await scene.jobs() == []
    # Only the member who was asked may answer.
    bob = scene.discord.add_user("bob")
    other = await scene.discord.click(question, f"fluxcord:confirm:{ix.id}", bob)
    await other.wait_until(lambda i: i.original is not None, timeout=10)
    assert private_text(other) == "That is not available here."
    clicked = await scene.discord.click(question, f"fluxcord:confirm:{ix.id}", scene.alice)
    (job,) = await scene.wait_for("settled", lambda jobs: bool(jobs)
                                  and jobs[0].status == JobStatus.SETTLED)
    (posted,) = results(scene.channel)
    assert posted.id == job.message_id
    assert (job.prompt, job.model) == ("a harbour", "flux-dev")
    assert await scene.ledger_moves(job.id) == ["reserve"]
    assert await scene.balance() == 50 - job.cost
    await clicked.wait_until(lambda i: i.original is not None
                             and private_text(i).startswith("Done: https://"), timeout=10)

    assert buttons(clicked.original) == []  # answered: the question's buttons are gone


async def test_a_confirm_after_a_restart_makes_nothing_of_a_result_deleted_since(
    scene: Scene,
) -> None:
    ix = await asked_to_confirm(scene)
    await scene.discord.click(ix.original, f"fluxcord:confirm:{ix.id}", scene.alice)
    await scene.discord.wait_until(lambda: len(results(scene.channel)) == 1, timeout=20)
    (posted,) = results(scene.channel)
    job_id = posted.custom_ids()[0].rsplit(":", 1)[1]
    bob = scene.discord.add_user("bob")
    reroll = await scene.discord.click(posted, f"fluxcord:reroll:{job_id}", bob)
    await reroll.wait_until(lambda i: i.original is not None
                            and "Confirm within" in str(i.original.content), timeout=20)
    question = reroll.original
    assert question is not None
    deleted = await scene.discord.click(posted, f"fluxcord:delete:{job_id}", scene.alice)
    await deleted.wait_until(lambda i: "Deleted" in str(i.original and i.original.content),
                             timeout=10)
    assert results(scene.channel) == []

    await scene.restart()  # kill -9 while Bob's question was open
    clicked = await scene.discord.click(question, f"fluxcord:confirm:{reroll.id}", bob)
    await clicked.wait_until(lambda i: "deleted" in str(i.original and i.original.content)
                             or "deleted" in str(question.content), timeout=20)
    assert results(scene.channel) == []
    assert len(await scene.jobs()) == 1  # Alice's, deleted; nothing reserved for Bob


async def test_a_waiting_variants_cancel_clicked_after_a_kill_is_answered(
    scene: Scene,
) -> None:
    # Its view lived only in memory: after kill -9 its button stayed on the message, and
    # a click on it went unanswered ("This interaction failed" in the member's client).
    scene.providers.onemin.inject("slow", times=2, seconds=60)
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine",
                                   prompt="a {grey, red, white} fox", model="flux-pro")

    def statuses() -> list[Message]:
        return [m for m in ix.followups if m.ephemeral and not m.deleted]
    await ix.wait_until(lambda _: any(m.custom_ids() for m in statuses()), timeout=30)
    third = next(m for m in statuses() if m.custom_ids())
    [cancel] = third.custom_ids()
    await scene.restart()  # kill -9
    click = await scene.discord.click(third, cancel, scene.alice)
    await click.wait_until(lambda c: c.original is not None, timeout=10)
    assert "This button ended when fluxcord restarted" in private_text(click)


async def test_a_job_settled_by_recovery_raises_the_budget_alert(scene: Scene) -> None:
    log = scene.guild.add_channel("admin-log")
    admin = scene.discord.add_user("admin", permissions=Perm.MANAGE_GUILD)
    for path, options in (("log-channel", {"channel": log}), ("budget", {"amount": 5})):
        group = "server" if path == "log-channel" else "credits"
        done = await scene.discord.slash(scene.channel, admin, group, path, **options)
        await done.wait_until(lambda i: i.original is not None and not i.original.loading,
                              timeout=20)
    apiframe = scene.providers.apiframe
    apiframe.inject("stuck")
    await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                              model="flux-1.1-pro")  # 4 of the day's 5 credits
    (provider_job,) = await stored_submissions(scene, 1)
    await scene.bot.kill()
    apiframe.jobs[provider_job].stuck = False

    await scene.restart()
    await scene.wait_for("settled", lambda jobs: jobs[0].status == JobStatus.SETTLED)
    await scene.discord.wait_until(lambda: any(
        str(m.content).startswith("Budget: 80 % of today's 5 credits is spent")
        for m in log.messages), timeout=20)

