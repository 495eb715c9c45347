"""Uploads Discord never answered, judged while a real bot process (`python -m bot`)
runs: every POSTING_CHECK_SECONDS and when the gateway resumes. Found, the job is settled;
not found, refunded and its member told; each counted once in the metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.credits.rows import JobStatus
from tests.e2e.test_e2e_metrics import free_port, scrape
from tests.support.e2e_fixtures import private_text, results
from tests.support.restart_scene import Scene, age_jobs, buttons, posting_then, restart_scene
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio

NOT_POSTED = "Your image did not reach the channel; your {} credits are back."


@pytest.fixture
async def scene(tmp_path: Path, provider_standins: ProviderStandIns
                ) -> AsyncIterator[Scene]:
    async for scene in restart_scene(tmp_path, provider_standins):
        yield scene


async def test_an_upload_stored_but_unanswered_is_settled_while_the_bot_runs(
    scene: Scene,
) -> None:
    ix, job = await posting_then(scene, served=True)
    (posted,) = results(scene.channel)
    told = private_text(ix)

    (job,) = await scene.wait_for("settled", lambda jobs: jobs[0].status == JobStatus.SETTLED)
    assert job.message_id == posted.id
    await ix.wait_until(  # type: ignore[attr-defined]
        lambda i: private_text(i).startswith("Done: https://discord.com/channels/"),
        timeout=10)
    assert await scene.ledger_moves(job.id) == ["reserve"]
    assert scene.bot.process is not None and scene.bot.process.returncode is None
    assert len(results(scene.channel)) == 1
    # What the member was told meanwhile was true: looked for within a minute.
    assert "looks for it in the channel within 1 minute;" in told


async def test_an_upload_that_never_arrived_is_refunded_while_the_bot_runs(
    scene: Scene,
) -> None:
    ix, job = await posting_then(scene, served=False)
    assert results(scene.channel) == []

    (job,) = await scene.wait_for("refunded", lambda jobs: jobs[0].status == JobStatus.REFUNDED)
    assert await scene.ledger_moves(job.id) == [
        "refund: its upload never reached the channel", "reserve"]
    await ix.wait_until(  # type: ignore[attr-defined]
        lambda i: private_text(i) == NOT_POSTED.format(job.cost), timeout=10)
    assert buttons(ix.original) == ["Try again"]  # type: ignore[attr-defined]
    assert await scene.balance() == 50
    assert scene.bot.process is not None and scene.bot.process.returncode is None


async def test_an_upload_cut_by_an_outage_is_judged_once_discord_answers_again(
    scene: Scene,
) -> None:
    scene.bot.env["POSTING_CHECK_SECONDS"] = "3600"  # only the reconnection can judge it
    await scene.bot.kill()
    await scene.bot.start()
    await scene.bot.ready()
    ix, job = await posting_then(scene, served=True)
    await age_jobs(scene, 60)  # past the moments Discord may still take to store it
    await asyncio.sleep(1.0)
    assert (await scene.jobs())[0].status == JobStatus.POSTING

    assert scene.discord.gateway.request_reconnect() == 1  # the session RESUMEs
    (job,) = await scene.wait_for("settled", lambda jobs: jobs[0].status == JobStatus.SETTLED)
    (posted,) = results(scene.channel)
    assert job.message_id == posted.id
    assert await scene.ledger_moves(job.id) == ["reserve"]
    await ix.wait_until(  # type: ignore[attr-defined]
        lambda i: private_text(i).startswith("Done: https://discord.com/channels/"),
        timeout=10)


async def test_jobs_settled_or_refunded_by_the_posting_check_are_counted_once(
    scene: Scene,
) -> None:
    port = free_port()
    scene.bot.env["METRICS_PORT"] = str(port)
    await scene.bot.kill()
    await scene.bot.start()
    await scene.bot.ready()
    await posting_then(scene, served=True)
    await scene.wait_for("settled", lambda jobs: jobs[0].status == JobStatus.SETTLED)
    scene.discord.drop("POST", "/webhooks/{app}/{token}", served=False)
    await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a quay",
                              model="flux-dev")
    await scene.wait_for("refunded", lambda jobs: len(jobs) == 2
                         and jobs[1].status == JobStatus.REFUNDED)

    samples = await scrape(f"http://127.0.0.1:{port}")
    counted = {labels: value for (name, labels), value in samples.items()
               if name == "fluxcord_jobs_total" and value}
    assert counted == {
        (("model", "flux-dev"), ("outcome", "posted"), ("provider", "onemin")): 1.0,
        (("model", "flux-dev"), ("outcome", "refunded"), ("provider", "onemin")): 1.0,
    }
