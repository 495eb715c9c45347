"""Stopping the bot: new jobs are turned away, jobs in flight are refunded, none is lost."""

from __future__ import annotations

import pytest

from tests.support.e2e_fixtures import World, private_text, results

pytestmark = pytest.mark.asyncio


async def test_stop_drains_then_refunds_jobs_still_running(world: World) -> None:
    services = world.runner.services
    assert services is not None
    world.providers.onemin.inject("slow", times=1, seconds=3.0)
    slow = await world.discord.slash(world.general, world.alice, "imagine", prompt="slow",
                                     model="flux-dev")
    await slow.wait_until(lambda ix: ix.original is not None
                          and str(ix.original.content).startswith("Generating"), timeout=10)

    assert await services.jobs.drain(0.1) == 1
    late = await world.discord.slash(world.general, world.bob, "imagine", prompt="late",
                                     model="flux-dev")
    await late.wait_until(lambda ix: ix.original is not None and not ix.original.loading,
                          timeout=10)
    assert "restarting" in private_text(late)

    await world.runner.stop()  # cancels what is still running: its credits come back
    # The member is told, in the message that said "Generating…".
    assert private_text(slow) == (
        "The bot restarted while making your image; your 3 credits are back."
    )
    await world.runner.start()
    services = world.runner.services
    assert services is not None
    assert await services.records.unfinished_jobs() == []
    assert (await services.credits.balance(world.guild.id, world.alice.id)).total == 50
    assert (await services.credits.balance(world.guild.id, world.bob.id)).total == 50
    assert results(world.general) == []
    reasons = [e.reason for e in await services.credits.ledger(world.guild.id, world.alice.id)]
    assert "refund: the bot stopped while the job ran" in reasons
