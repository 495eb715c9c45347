"""Power users end to end (SPEC section 2): preferences applied, a preset over them, the
command over both; what a model cannot take, by where it came from; and autocomplete that
only ever shows the asking member their own prompts and presets."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support.e2e_fixtures import World, make_world, private_text, results, settled
from tests.support.standins.discord_api import DiscordStandIn, Message, User
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio

TIMEOUT = 15.0


@pytest.fixture
async def world(tmp_path: Path, discord_standin: DiscordStandIn,
                provider_standins: ProviderStandIns) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  DEFAULT_ALLOWANCE=500):
        yield world


async def command(world: World, user: User, *path: str, **options: Any) -> str:
    """`/path... options` in #general; the private answer."""
    ix = await settled(await world.discord.slash(world.general, user, *path, **options))
    return private_text(ix)


async def imagine(world: World, user: User, prompt: str, **options: Any) -> Message:
    """A posted result of `user`'s."""
    before = len(results(world.general))
    ix = await settled(await world.discord.slash(world.general, user, "imagine",
                                                 prompt=prompt, **options))
    posted = results(world.general)
    assert len(posted) == before + 1, private_text(ix)
    return posted[-1]


def fields(message: Message) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0].get("fields") or []}


def sent_params(world: World) -> dict[str, Any]:
    """What 1min.ai received for the latest generation (flux-pro's wire names)."""
    params: dict[str, Any] = world.providers.onemin.generation_bodies()[-1]["promptObject"]
    return params


def image_format(message: Message) -> str | None:
    return Image.open(io.BytesIO(message.attachments[0].data)).format


async def choices(world: World, user: User, focused: str, **options: Any) -> list[str]:
    ix = await world.discord.autocomplete(world.general, user, "imagine", focused=focused,
                                          **options)
    await ix.wait_until(lambda ix: ix.choices is not None, timeout=TIMEOUT)
    return [c["value"] for c in ix.choices or []]


async def test_preferences_then_a_preset_over_them_then_the_command_over_both(
    world: World,
) -> None:
    text = await command(world, world.alice, "preferences", "set", model="flux-pro",
                         aspect_ratio="16:9", output_format="png", prompt_suffix="film grain")
    assert "Your preferences here" in text and "film grain" in text

    # Preferences alone: the model, ratio, format and suffix are the member's own.
    message = await imagine(world, world.alice, "a pier")
    sent = sent_params(world)
    assert (sent["prompt"], sent["aspect_ratio"], sent["output_format"]) == (
        "a pier, film grain", "16:9", "png")
    assert image_format(message) == "PNG"
    assert fields(message).get("Preferences") == "applied" and "Preset" not in fields(message)
    assert message.embeds[0]["description"] == "a pier, film grain"

    # A preset fills first; the preferences still fill what it leaves unset.
    text = await command(world, world.alice, "preset", "save", name="Tall",
                         aspect_ratio="9:16", steps=20)
    assert "Preset “Tall” saved" in text
    message = await imagine(world, world.alice, "a pier", preset="tall")
    sent = sent_params(world)
    assert (sent["aspect_ratio"], sent["steps"], sent["output_format"]) == ("9:16", 20, "png")
    assert image_format(message) == "PNG"
    assert fields(message)["Preset"] == "Tall" and fields(message)["Preferences"] == "applied"

    # What the member sets in the command comes first of all.
    message = await imagine(world, world.alice, "a pier", preset="Tall", aspect_ratio="1:1",
                            output_format="jpg")
    sent = sent_params(world)
    assert (sent["aspect_ratio"], sent["steps"], sent["output_format"]) == ("1:1", 20, "jpg")
    assert image_format(message) == "JPEG"

    # Another member's defaults are theirs alone.
    assert "no preferences" in await command(world, world.bob, "preferences", "show")
    assert "no presets" in await command(world, world.bob, "preset", "list")
    ix = await settled(await world.discord.slash(world.general, world.bob, "imagine",
                                                 prompt="a pier", preset="Tall"))
    assert "You have no preset “Tall”" in private_text(ix)
    message = await imagine(world, world.bob, "a pier")
    assert message.embeds[0]["description"] == "a pier"
    assert "Preferences" not in fields(message)

    await command(world, world.alice, "preferences", "clear")
    message = await imagine(world, world.alice, "a cliff")
    assert message.embeds[0]["description"] == "a cliff"


async def test_what_the_model_cannot_take_is_refused_from_a_preset_and_dropped_from_preferences(
    world: World,
) -> None:
    text = await command(world, world.alice, "preferences", "set", model="flux-2-pro",
                         output_format="webp")
    assert "does not work with FLUX.2 [pro] (`flux-2-pro`). It works with" in text
    assert "no preferences" in await command(world, world.alice, "preferences", "show")

    # A preset is what the member asked for: refused, nothing charged or generated.
    await command(world, world.alice, "preset", "save", name="turbo", go_fast=True)
    sent = len(world.providers.onemin.generation_bodies())
    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="a pier", preset="turbo",
                                                 model="flux-2-pro"))
    assert "Your preset “turbo” sets `go_fast`" in private_text(ix)
    assert "It works with FLUX.1 [dev] (`flux-dev`)" in private_text(ix)
    assert len(world.providers.onemin.generation_bodies()) == sent
    assert "Balance: 500 credits" in await command(world, world.alice, "credits", "balance")

    # A preference is only a default: left out with a note.
    await command(world, world.alice, "preferences", "set", output_format="webp")
    message = await imagine(world, world.alice, "a pier", model="flux-2-pro")
    assert ("your preference's output_format webp left out"
            in fields(message)["Adjusted"])
    assert '"webp"' not in str(world.providers.onemin.generation_bodies()[-1])


async def test_autocomplete_offers_only_the_members_own_prompts_and_presets(
    world: World,
) -> None:
    await imagine(world, world.alice, "a Red fox in snow")
    await imagine(world, world.alice, "a blue whale")
    await imagine(world, world.bob, "a red barn by Bob")
    await command(world, world.alice, "preset", "save", name="Wide", aspect_ratio="16:9")
    await command(world, world.bob, "preset", "save", name="Bob's wide",
                  aspect_ratio="16:9")

    assert await choices(world, world.alice, "prompt", prompt="") == [
        "a blue whale", "a Red fox in snow"]
    assert await choices(world, world.alice, "prompt", prompt="RED") == ["a Red fox in snow"]
    assert await choices(world, world.bob, "prompt", prompt="red") == ["a red barn by Bob"]
    assert await choices(world, world.alice, "preset", prompt="x", preset="wi") == ["Wide"]
    assert await choices(world, world.bob, "preset", prompt="x", preset="") == ["Bob's wide"]
