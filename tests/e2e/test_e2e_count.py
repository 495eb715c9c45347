"""`/imagine count`: several images in one job and one message, end to end."""

from __future__ import annotations

import pytest

from tests.support.e2e_fixtures import World, decode, private_text, results, settled

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0


async def balance(world: World) -> int:
    services = world.runner.services
    assert services is not None
    return (await services.credits.balance(world.guild.id, world.alice.id)).total


async def test_count_three_with_one_failure_posts_two_and_refunds_one(world: World) -> None:
    onemin = world.providers.onemin
    onemin.inject("no_url", times=1)  # one of the three calls fails, not retried
    ix = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="three foxes", model="flux-pro",
        seed=11, count=3,
    ))

    [message] = results(world.general)
    assert len(message.attachments) == 2, private_text(ix)
    for attachment in range(2):
        assert message.attachments[attachment].data
    decode(message)
    bodies = onemin.generation_bodies()
    assert len(bodies) == 3
    seeds = [b["promptObject"]["seed"] for b in bodies]
    assert 11 in seeds and len(set(seeds)) == 3  # each call its own seed
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    assert fields["Cost"] == "10 credits"
    assert "1 of 3 images could not be made" in fields["Adjusted"]
    posted_seeds = fields["Seeds"].split(", ")
    assert len(posted_seeds) == 2 and all(s in map(str, seeds) for s in posted_seeds)
    assert await balance(world) == 50 - 2 * 5
    services = world.runner.services
    assert services is not None
    ledger = [(e.delta, e.reason) for e in await services.credits.ledger(world.guild.id,
                                                                            world.alice.id)]
    assert ledger[0] == (-15, "reserve") and ledger[1][0] == 5


async def test_count_four_reserves_all_at_once_or_nothing(world: World) -> None:
    services = world.runner.services
    assert services is not None
    await services.guilds.set_allowance(world.guild.id, 18, None)
    ix = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="four foxes", model="flux-pro",
        count=4,
    ))
    assert "20" in private_text(ix)  # the whole job's cost, refused
    assert world.providers.total_generations() == 0
    assert await balance(world) == 18


async def test_reroll_makes_as_many_images_again(world: World) -> None:
    await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="two foxes", model="flux-1.1-pro",
        count=2,
    ))
    [first] = results(world.general)
    assert len(first.attachments) == 2
    reroll = next(c for c in first.custom_ids() if c.startswith("fluxcord:reroll:"))
    await settled(await world.discord.click(first, reroll, world.alice))
    await world.discord.wait_until(lambda: len(results(world.general)) == 2, timeout=TIMEOUT)
    second = results(world.general)[1]
    assert len(second.attachments) == 2
    assert await balance(world) == 50 - 4 * 4
