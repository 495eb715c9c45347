"""An aspect ratio is a shape: BFL, which takes only width and height, serves a ratio in
its place in the route as the nearest size of that ratio, through the real bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.e2e_fixtures import World, decode, make_world, private_text, results, settled
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns


@pytest.fixture
async def bfl_world(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[World]:
    bfl = {"BFL_API_KEY": provider_standins.bfl.api_key,
           "BFL_BASE_URL": provider_standins.bfl.base_url}
    async for world in make_world(tmp_path, discord_standin, provider_standins, **bfl):
        yield world


async def test_a_ratio_fails_over_to_bfl_as_the_nearest_size(bfl_world: World) -> None:
    world = bfl_world
    world.providers.apiframe.inject("server_error", times=10, status=503)
    world.providers.segmind.inject("server_error", times=10, status=503)

    ix = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="a harbour at dawn",
        model="flux-1.1-pro", aspect_ratio="16:9", seed=11))

    assert str(ix.original.content).startswith("Done"), private_text(ix)
    assert world.providers.apiframe.generation_bodies()
    assert world.providers.segmind.generation_bodies()
    [sent] = [r.json for r in world.providers.bfl.recorded("/v1/flux-pro-1.1", "POST")]
    assert sent == {"prompt": "a harbour at dawn", "seed": 11, "width": 1376, "height": 768,
                    "safety_tolerance": 2, "output_format": "png"}
    [posted] = results(world.general)
    image = decode(posted)
    assert image.size == (1376, 768)
    fields = {f["name"]: f["value"] for f in posted.embeds[0]["fields"]}
    assert fields["Provider"] == "BFL"
    assert "1376" in str(fields) and "768" in str(fields)


async def test_flux_2_pro_fails_over_to_bfl_with_the_size_of_its_ratio(bfl_world: World
                                                                       ) -> None:
    world = bfl_world
    world.providers.onemin.inject("server_error", times=10, status=503)

    ix = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="a quiet library", model="flux-2-pro",
        aspect_ratio="9:16", seed=5, safety_tolerance=1))

    assert str(ix.original.content).startswith("Done"), private_text(ix)
    [sent] = world.providers.bfl.flux_2_bodies()
    assert sent == {"prompt": "a quiet library", "seed": 5, "width": 768, "height": 1360,
                    "safety_tolerance": 0, "output_format": "png"}
