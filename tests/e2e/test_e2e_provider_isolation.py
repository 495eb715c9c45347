"""A provider that hangs holds none of the image slots (MAX_IMAGES_IN_FLIGHT): a job on
a healthy provider in another server is served at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.e2e_fixtures import World, make_world, results, settled
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns


@pytest.fixture
async def one_slot_world(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  MAX_IMAGES_IN_FLIGHT=1):
        yield world


async def test_a_hung_provider_does_not_hold_the_image_slots(one_slot_world: World) -> None:
    world = one_slot_world
    world.providers.onemin.inject("hang", seconds=60)
    other = world.discord.add_guild("Elsewhere")
    channel = other.add_channel("art")

    hung = await world.discord.slash(world.general, world.bob, "imagine",
                                     prompt="a slow cat", model="flux-pro")
    await hung.wait_until(lambda ix: "Generating" in str(getattr(ix.original, "content", "")),
                          timeout=15.0)
    served = await settled(await world.discord.slash(
        channel, world.alice, "imagine", prompt="a quick cat", model="flux-1.1-pro"))

    assert str(served.original.content).startswith("Done")
    [posted] = results(channel)
    assert posted.attachments
    assert "Generating" in str(hung.original.content)  # still at 1min.ai
