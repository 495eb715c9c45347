"""Continuity through the in-process bot: the input image kept for the buttons once
Discord's link has expired, and the Try again button a stop leaves."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.e2e_fixtures import World, make_world, private_text, results, settled
from tests.support.standins.discord_api import Attachment, DiscordStandIn
from tests.support.standins.images import make_image
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio


def buttons(message: object) -> list[str]:
    rows = getattr(message, "components", None) or []
    return [c.get("label") for row in rows for c in row.get("components", [])]


async def test_reroll_uses_the_kept_image_once_discords_link_has_expired(
    world: World,
) -> None:
    data = make_image(64, 64, "png")
    picture = world.discord.register_attachment(data, "ref.png", "image/png")
    first = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="same, in winter", model="flux-dev",
        image=picture))
    (result,) = results(world.general)
    onemin = world.providers.onemin
    assert list(onemin.assets.values()) == [data]

    picture.expired = True  # a day later: Discord's link answers 404
    reroll = await settled(await world.discord.click(
        result, next(c for c in result.custom_ids() if ":reroll:" in c), world.alice))
    assert len(results(world.general)) == 2, private_text(reroll)
    assert list(onemin.assets.values()) == [data, data]  # the same image, from the bot
    assert private_text(first).startswith("Done")


async def test_a_stop_leaves_a_try_again_button_that_runs_the_job_again(
    world: World,
) -> None:
    world.providers.onemin.inject("slow", times=1, seconds=3.0)
    slow = await world.discord.slash(world.general, world.alice, "imagine", prompt="slow",
                                     model="flux-dev")
    await slow.wait_until(lambda ix: ix.original is not None
                          and str(ix.original.content).startswith("Generating"), timeout=10)
    await world.runner.stop()
    assert private_text(slow) == (
        "The bot restarted while making your image; your 3 credits are back."
    )
    assert slow.original is not None
    assert buttons(slow.original) == ["Try again"]

    await world.runner.start()
    (custom_id,) = slow.original.custom_ids()
    again = await settled(await world.discord.click(slow.original, custom_id, world.alice))
    assert private_text(again).startswith("Done"), private_text(again)
    (posted,) = results(world.general)
    assert posted.embeds and posted.embeds[0]["description"] == "slow"
    services = world.runner.services
    assert services is not None
    assert (await services.credits.balance(world.guild.id, world.alice.id)).total == 50 - 3


@pytest.fixture
async def world_with_bfl(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[World]:
    bfl = provider_standins.settings_env(bfl=True)
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  BFL_API_KEY=bfl["BFL_API_KEY"],
                                  BFL_BASE_URL=bfl["BFL_BASE_URL"]):
        yield world


async def expiring_picture(world: World, seconds: float) -> Attachment:
    """An image whose Discord link, like a real one, says when it expires (`ex`)."""
    picture = world.discord.register_attachment(make_image(64, 64, "png"), "ref.png",
                                                "image/png")
    picture.url += f"?ex={int(time.time() + seconds):x}&is=0&hm=0"
    return picture


async def test_once_the_link_expired_apiframe_is_skipped_for_a_provider_taking_bytes(
    world_with_bfl: World,
) -> None:
    world = world_with_bfl
    picture = await expiring_picture(world, 2.0)
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                            prompt="a harbour", model="flux-1.1-pro",
                                            image=picture))
    (result,) = results(world.general)
    assert len(world.providers.apiframe.generation_bodies()) == 1  # the link was alive

    await asyncio.sleep(2.1)
    picture.expired = True
    reroll = await settled(await world.discord.click(
        result, next(c for c in result.custom_ids() if ":reroll:" in c), world.alice))
    assert len(results(world.general)) == 2, private_text(reroll)
    assert len(world.providers.apiframe.generation_bodies()) == 1
    (body,) = world.providers.bfl.generation_bodies()
    assert base64.b64decode(body["image_prompt"]) == picture.data


async def test_once_the_link_expired_a_model_served_only_by_link_is_refused_clearly(
    world: World,
) -> None:
    picture = await expiring_picture(world, 2.0)
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                            prompt="a harbour", model="flux-1.1-pro",
                                            image=picture))
    (result,) = results(world.general)

    await asyncio.sleep(2.1)
    reroll = await settled(await world.discord.click(
        result, next(c for c in result.custom_ids() if ":reroll:" in c), world.alice))
    assert private_text(reroll) == (
        "The image of that job has expired at Discord, and FLUX1.1 [pro]'s provider here "
        "takes images only by link. Use /imagine with the image attached again."
    )
    assert len(world.providers.apiframe.generation_bodies()) == 1


async def test_no_input_image_is_kept_for_a_refused_job_or_a_deleted_result(
    world: World,
) -> None:
    services = world.runner.services
    assert services is not None
    picture = world.discord.register_attachment(make_image(64, 64, "png"), "ref.png",
                                                "image/png")
    # The provider refuses the prompt as moderated: the job is refunded, nothing kept.
    refused = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="a forbidden garden", model="flux-dev",
        image=picture))
    assert "refused" in private_text(refused).lower(), private_text(refused)
    ledger = await services.credits.ledger(world.guild.id, world.alice.id)
    (refused_job,) = {entry.job_id for entry in ledger if entry.job_id}
    assert await services.continuity.stored_input(refused_job) is None

    # A posted result keeps its input for Reroll, until the result is deleted.
    await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="a garden", model="flux-dev",
        image=picture))
    (result,) = results(world.general)
    delete = next(c for c in result.custom_ids() if c.startswith("fluxcord:delete:"))
    job = delete.rsplit(":", 1)[1]
    assert await services.continuity.stored_input(job) is not None
    await settled(await world.discord.click(result, delete, world.alice))
    assert await services.continuity.stored_input(job) is None
