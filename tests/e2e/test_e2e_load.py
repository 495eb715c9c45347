"""Concurrent load through the whole bot: nothing lost, nothing charged twice."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.e2e_fixtures import World, is_settled, results

pytestmark = pytest.mark.asyncio


async def test_concurrent_jobs_with_faults_charge_exactly_the_posted_images(
    world: World,
) -> None:
    discord, providers = world.discord, world.providers
    members = [discord.add_user(f"member{n}") for n in range(6)]
    providers.onemin.inject("server_error", times=4, status=500)
    providers.apiframe.inject("server_error", times=3, status=502)  # falls back to Segmind
    providers.onemin.inject("unauthorized", times=1)  # a rejection: refunded, not retried
    models = ["flux-dev", "flux-1.1-pro", "flux-2-pro", "flux-pro"]
    interactions = await asyncio.gather(*(
        discord.slash(world.general, member, "imagine", prompt=f"job {n} of {member.username}",
                      model=models[n % len(models)])
        for member in members for n in range(5)
    ))
    for ix in interactions:
        await ix.wait_for_ack(timeout=10)

    await discord.wait_until(lambda: all(is_settled(ix) for ix in interactions), timeout=60)
    services = world.runner.services
    assert services is not None
    assert await services.credits.audit() == []
    assert await services.records.unfinished_jobs() == []
    posted = results(world.general)
    done = [ix for ix in interactions if str(ix.original.content).startswith("Done")]
    assert len(posted) == len(done)
    # Each member paid for exactly the images of theirs that were posted.
    for member in members:
        mine = [m for m in posted if f"of {member.username}" in m.embeds[0]["description"]]
        spent = sum(int(next(f["value"] for f in m.embeds[0]["fields"] if f["name"] == "Cost")
                        .split()[0]) for m in mine)
        balance = await services.credits.balance(world.guild.id, member.id)
        assert balance.total == 50 - spent, member.username
    failed = [ix for ix in interactions if not str(ix.original.content).startswith("Done")]
    assert all("credits are back" in str(ix.original.content) for ix in failed)
