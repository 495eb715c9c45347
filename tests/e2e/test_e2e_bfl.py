"""BFL behind the others, through the real bot: it serves when the providers in front of
it cannot, a provider out of credit stops being asked, and an answer nobody can parse
gives the member their credits back."""

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


async def imagine(world: World, **options):  # type: ignore[no-untyped-def]
    return await world.discord.slash(world.general, world.alice, "imagine", **options)


async def test_bfl_serves_once_the_providers_before_it_are_out_of_credit(
    bfl_world: World,
) -> None:
    world = bfl_world
    world.providers.apiframe.inject("no_credit", times=10)
    world.providers.segmind.inject("no_credit", times=10)

    first = await settled(await imagine(world, prompt="a heron", model="flux-1.1-pro",
                                        output_format="png"))
    second = await settled(await imagine(world, prompt="a crane", model="flux-1.1-pro"))

    assert str(first.original.content).startswith("Done"), private_text(first)
    assert str(second.original.content).startswith("Done"), private_text(second)
    posted = results(world.general)
    assert len(posted) == 2 and decode(posted[0]).format == "PNG"
    fields = {f["name"]: f["value"] for f in posted[0].embeds[0]["fields"]}
    assert fields["Provider"] == "BFL"
    # Out of the routes after their first refusal: the second job went straight to BFL.
    assert len(world.providers.apiframe.generation_bodies()) == 1
    assert len(world.providers.segmind.generation_bodies()) == 1
    assert len(world.providers.bfl.recorded("/v1/flux-pro-1.1", "POST")) == 2


async def test_answers_nobody_can_parse_give_the_credits_back(bfl_world: World) -> None:
    world = bfl_world
    world.providers.onemin.inject("malformed", times=10)
    world.providers.bfl.inject("deep_json", times=10)
    services = world.runner.services
    assert services is not None
    before = (await services.credits.balance(world.guild.id, world.alice.id)).total

    ix = await settled(await imagine(world, prompt="a heron", model="flux-pro"))

    assert "credits are back" in private_text(ix)
    assert results(world.general) == []
    assert (await services.credits.balance(world.guild.id, world.alice.id)).total == before
