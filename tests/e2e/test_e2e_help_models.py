"""/models and /help, end to end through the Discord stand-in: private embeds members read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.e2e_fixtures import (
    World,
    embed_text,
    make_world,
    private_embed,
    private_text,
    settled,
)
from tests.support.standins.discord_api import DiscordStandIn, User
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio


def fields_of(embed: dict[str, object]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed["fields"]}  # type: ignore[attr-defined]


def within_discord_limits(embed: dict[str, object]) -> bool:
    fields = embed["fields"]
    assert isinstance(fields, list)
    return (
        len(fields) <= 25
        and all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in fields)
        and len(embed_text(embed)) <= 6000
    )


async def models_embed(world: World, member: User) -> dict[str, object]:
    return private_embed(await settled(await world.discord.slash(world.general, member, "models")))


async def test_models_is_one_field_per_model_with_cost_options_and_providers(
    world: World,
) -> None:
    embed = await models_embed(world, world.bob)
    assert within_discord_limits(embed)
    fields = fields_of(embed)
    assert list(fields) == [
        "FLUX1.1 [pro] (this server's default)", "FLUX.1 [pro]", "FLUX.2 [pro]", "FLUX.1 [dev]",
        "FLUX.2 [pro] edit", "FLUX.2 [pro] blend", "Vary (FLUX.1 [dev])",
        "Zoom Out (FLUX.1 Expand [pro])", "Pan (FLUX.1 Expand [pro])",
        "Vary Region (FLUX.1 Fill [pro])",
    ]
    assert fields["FLUX.2 [pro] edit"].startswith("Used by: /edit\nCost: 6 credits\n")
    assert fields["FLUX.2 [pro] blend"].startswith("Used by: /blend\nCost: 6 credits\n")
    assert fields["Vary (FLUX.1 [dev])"].startswith(
        "Used by: the buttons under a result\nCost: 3 credits\n")
    pro11 = fields["FLUX1.1 [pro] (this server's default)"]
    assert pro11.startswith("Choice: `flux-1.1-pro`\nCost: 4 credits\nTakes: ")
    assert "apiframe: healthy" in pro11 and "Segmind: healthy" in pro11
    dev = fields["FLUX.1 [dev]"]
    assert "Cost: 1 credit at 0.25 MP, 3 credits at 1 MP, 5 credits at 2 MP" in dev
    assert "`go_fast`" in dev and "`go_fast`" not in pro11
    assert "`safety_tolerance`" not in dev  # flux-dev has no safety_tolerance
    assert "1min.ai: healthy" in fields["FLUX.2 [pro]"]


async def test_models_marks_the_server_default_and_a_refused_key(world: World) -> None:
    await settled(await world.discord.slash(world.general, world.admin, "default-model",
                                             model="flux-pro"))
    world.providers.apiframe.inject("unauthorized")
    # apiframe's refused key takes it out of the routes; Segmind serves the job.
    served = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                      prompt="a cat", model="flux-1.1-pro"))
    assert "Done" in private_text(served)

    fields = fields_of(await models_embed(world, world.bob))
    assert "FLUX.1 [pro] (this server's default)" in fields
    assert "FLUX1.1 [pro]" in fields  # no longer marked
    assert "apiframe: out of service" in fields["FLUX1.1 [pro]"]


async def test_help_shows_what_a_member_can_use_with_balance_and_default(world: World) -> None:
    embed = private_embed(await settled(await world.discord.slash(world.general, world.alice,
                                                                   "help")))
    assert within_discord_limits(embed)
    text = embed_text(embed)
    assert "fluxcord makes images" in text
    fields = fields_of(embed)
    assert fields["Your balance"].startswith("50 credits;")
    assert fields["Default model in this server"].startswith(
        "FLUX1.1 [pro] (`flux-1.1-pro`), 4 credits")
    for usable in ("`/imagine`", "`/models`", "`/help`", "`/credits balance`"):
        assert usable in text
    for manage_server in ("`/credits grant`", "`/credits budget`", "`/safety cap`",
                          "`/default-model`"):
        assert manage_server not in text


async def test_help_lists_manage_server_commands_to_those_who_have_it(world: World) -> None:
    await settled(await world.discord.slash(world.general, world.admin, "credits", "grant",
                                             member=world.admin, amount=1_250))
    text = embed_text(private_embed(await settled(await world.discord.slash(
        world.general, world.admin, "help"))))
    assert "1,300 credits;" in text
    for command in ("`/imagine`", "`/credits grant`", "`/safety cap`", "`/default-model`"):
        assert command in text


@pytest.fixture
async def dm_world(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  ALLOW_DMS=True, DEFAULT_MODEL="flux-dev"):
        yield world


async def test_help_in_direct_messages_leaves_out_server_commands(dm_world: World) -> None:
    world = dm_world
    embed = private_embed(await settled(await world.discord.slash(
        world.discord.dm_channel(world.alice), world.alice, "help")))
    fields = fields_of(embed)
    assert "Your balance" not in fields
    assert fields["Default model in direct messages"].startswith("FLUX.1 [dev] (`flux-dev`)")
    text = embed_text(embed)
    assert "`/imagine`" in text
    assert "/credits" not in text and "/default-model" not in text
