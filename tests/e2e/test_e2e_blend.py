"""/blend end to end: the Discord stand-in, BFL's FLUX.2 [pro] stand-in, a real SQLite
file. The references reach BFL in order (attachments, then the board's newest images),
the ledger shows one charge, and a bad reference is refused before anything is charged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.e2e_fixtures import World, make_world, private_text, results, settled
from tests.support.standins.discord_api import Attachment, DiscordStandIn, Perm
from tests.support.standins.images import make_image
from tests.support.standins.providers import ProviderStandIns

TIMEOUT = 15.0


def _bfl(providers: ProviderStandIns, **more: Any) -> dict[str, Any]:
    return {"BFL_API_KEY": providers.bfl.api_key, "BFL_BASE_URL": providers.bfl.base_url,
            **more}


@pytest.fixture
async def bfl_world(tmp_path: Path, discord_standin: DiscordStandIn,
                    provider_standins: ProviderStandIns) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  **_bfl(provider_standins)):
        yield world


def picture(world: World, name: str, width: int = 64, height: int = 48) -> Attachment:
    return world.discord.register_attachment(make_image(width, height, "png"), name,
                                             "image/png")


def link(url: str) -> str:
    """A Discord CDN link without its signature (each payload signs it afresh)."""
    return url.split("?", 1)[0]


async def balance(world: World) -> int:
    services = world.runner.services
    assert services is not None
    return (await services.credits.balance(world.guild.id, world.alice.id)).total


async def test_blend_sends_the_attachments_in_order_and_charges_once(bfl_world: World
                                                                     ) -> None:
    world = bfl_world
    first, second = picture(world, "cat.png"), picture(world, "hat.png", 48, 64)
    before = await balance(world)

    ix = await settled(await world.discord.slash(
        world.general, world.alice, "blend", prompt="the cat from image 1 in the hat of image 2",
        image1=first, image2=second, seed=9, aspect_ratio="3:2", safety_tolerance=1))

    assert str(ix.original.content).startswith("Done"), private_text(ix)
    [sent] = world.providers.bfl.flux_2_bodies()
    refs = {k: link(v) for k, v in sent.items() if k.startswith("input_image")}
    assert refs == {"input_image": link(first.url), "input_image_2": link(second.url)}
    rest = {k: v for k, v in sent.items() if not k.startswith("input_image")}
    assert rest == {"prompt": "the cat from image 1 in the hat of image 2", "seed": 9,
                    "width": 1248, "height": 832, "safety_tolerance": 0,
                    "output_format": "png"}
    [posted] = results(world.general)
    fields = {f["name"]: f["value"] for f in posted.embeds[0]["fields"]}
    assert fields["Model"] == "FLUX.2 [pro] blend" and fields["Provider"] == "BFL"
    assert fields["References"] == "1. cat.png · 2. hat.png"
    assert fields["Cost"] == "6 credits"
    # The result's buttons, as /imagine's: five, then the tools BFL and 1min.ai serve.
    assert len(posted.custom_ids()) == 14
    assert await balance(world) == before - 6
    services = world.runner.services
    assert services is not None
    rows = await services.credits.ledger(world.guild.id, world.alice.id)
    charged = [r for r in rows if r.job_id is not None]
    assert sum(r.delta for r in charged) == -6 and len({r.job_id for r in charged}) == 1


async def test_an_unreadable_reference_is_named_and_nothing_is_charged(bfl_world: World
                                                                      ) -> None:
    world = bfl_world
    notes = world.discord.register_attachment(b"just some words", "notes.txt", "text/plain")
    before = await balance(world)

    ix = await settled(await world.discord.slash(
        world.general, world.alice, "blend", prompt="mix them",
        image1=picture(world, "cat.png"), image2=notes))

    assert "`image2` is not a picture" in private_text(ix)
    assert world.providers.bfl.requests == []
    assert results(world.general) == []
    assert await balance(world) == before


async def test_a_picture_that_lies_about_its_type_is_refused_by_its_header(bfl_world: World
                                                                          ) -> None:
    world = bfl_world
    # Discord measured a PNG; the bytes served are cut short.
    broken = world.discord.register_attachment(make_image(64, 48, "png")[:-20], "torn.png",
                                               "image/png")
    before = await balance(world)

    ix = await settled(await world.discord.slash(
        world.general, world.alice, "blend", prompt="mix them",
        image1=picture(world, "cat.png"), image2=broken))

    text = private_text(ix)
    assert "`image2`" in text and "could not be read" in text, text
    assert world.providers.bfl.flux_2_bodies() == []
    assert await balance(world) == before


async def test_reference_megapixels_are_priced_when_the_config_prices_them(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns,
) -> None:
    config = tmp_path / "costs.toml"
    config.write_text('[costs]\n"blend" = 5\n"blend-reference-mp" = 3\n')
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  **_bfl(provider_standins, FLUXCORD_CONFIG=str(config))):
        before = await balance(world)
        # 1000x1000 and 500x1000 pixels: 1.5 MP at 3 credits each, 4.5 rounded up to 5.
        ix = await settled(await world.discord.slash(
            world.general, world.alice, "blend", prompt="mix them",
            image1=picture(world, "a.png", 1000, 1000),
            image2=picture(world, "b.png", 500, 1000)))

        assert str(ix.original.content).startswith("Done"), private_text(ix)
        [posted] = results(world.general)
        fields = {f["name"]: f["value"] for f in posted.embeds[0]["fields"]}
        assert fields["Cost"] == "10 credits"
        assert await balance(world) == before - 10


async def test_the_boards_newest_images_follow_the_attachments(bfl_world: World) -> None:
    world = bfl_world
    curator = world.discord.add_user("curator", permissions=Perm.MANAGE_CHANNELS)
    known = set(world.guild.threads)
    made = await settled(await world.discord.slash(world.general, curator, "board", "create",
                                                   name="Mood"))
    assert "is ready" in private_text(made), private_text(made)
    (thread,) = [t for t in world.guild.threads if t not in known]
    for prompt in ("a red door", "a blue door"):
        await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt=prompt, model="flux-1.1-pro"))
        result = results(world.general)[-1]
        button = next(c for c in result.custom_ids() if c.startswith("fluxcord:board-add:"))
        await settled(await world.discord.click(result, button, world.alice))
    board_posts = [m for m in thread.messages if m.attachments]
    assert len(board_posts) == 2

    ix = await settled(await world.discord.slash(
        world.general, world.alice, "blend", prompt="a door like these",
        image1=picture(world, "frame.png"), board="Mood", seed=1))

    assert str(ix.original.content).startswith("Done"), private_text(ix)
    [sent] = world.providers.bfl.flux_2_bodies()
    refs = [link(v) for k, v in sent.items() if k.startswith("input_image")]
    newest, older = board_posts[1].attachments[0], board_posts[0].attachments[0]
    assert [k for k in sent if k.startswith("input_image")] == [
        "input_image", "input_image_2", "input_image_3"]
    assert refs[1:] == [link(newest.url), link(older.url)]
    assert "aspect_ratio" not in sent and "width" not in sent  # the first reference's size


async def test_a_blocked_prompt_is_refused_before_any_reference_is_sent(bfl_world: World
                                                                       ) -> None:
    world = bfl_world
    await settled(await world.discord.slash(world.general, world.admin, "moderation",
                                             "blocklist", "add", entry="gargoyle"))
    before = await balance(world)

    ix = await settled(await world.discord.slash(
        world.general, world.alice, "blend", prompt="a GARGOYLE on the roof",
        image1=picture(world, "roof.png")))

    assert "gargoyle" in private_text(ix).lower()
    assert world.providers.bfl.requests == []
    assert await balance(world) == before


async def test_reroll_sends_the_same_references_again_with_a_new_seed(bfl_world: World
                                                                      ) -> None:
    world = bfl_world
    first, second = picture(world, "cat.png"), picture(world, "hat.png")
    await settled(await world.discord.slash(
        world.general, world.alice, "blend", prompt="a cat in a hat", image1=first,
        image2=second, seed=4))
    [result] = results(world.general)
    before = await balance(world)

    reroll = next(c for c in result.custom_ids() if ":reroll:" in c)
    ix = await settled(await world.discord.click(result, reroll, world.alice))

    assert len(results(world.general)) == 2, private_text(ix)
    original, again = world.providers.bfl.flux_2_bodies()
    refs = {k: link(v) for k, v in again.items() if k.startswith("input_image")}
    assert refs == {"input_image": link(first.url), "input_image_2": link(second.url)}
    assert again["seed"] != original["seed"] and again["prompt"] == "a cat in a hat"
    assert await balance(world) == before - 6


async def test_a_tolerance_over_the_channels_cap_is_refused_before_any_call(bfl_world: World
                                                                           ) -> None:
    world = bfl_world
    before = await balance(world)
    ix = await settled(await world.discord.slash(
        world.general, world.alice, "blend", prompt="mix", image1=picture(world, "a.png"),
        safety_tolerance=5))
    assert "cap of 2" in private_text(ix)
    assert world.providers.bfl.requests == []
    assert await balance(world) == before


async def test_a_blend_bfl_cannot_make_is_refunded(bfl_world: World) -> None:
    world = bfl_world
    world.providers.bfl.inject("server_error", times=10, status=503)
    before = await balance(world)

    ix = await settled(await world.discord.slash(
        world.general, world.alice, "blend", prompt="mix", image1=picture(world, "a.png")))

    assert "credits are back" in private_text(ix)
    assert world.providers.bfl.flux_2_bodies()  # it was tried
    assert results(world.general) == []
    assert await balance(world) == before
    services = world.runner.services
    assert services is not None
    rows = await services.credits.ledger(world.guild.id, world.alice.id)
    assert [r.delta for r in rows if r.job_id is not None] == [-6, 6]
