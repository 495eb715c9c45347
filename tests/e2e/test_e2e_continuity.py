"""Continuity through the in-process bot: the input image kept for the buttons once
Discord's link has expired, and the Try again button a stop leaves."""

from __future__ import annotations

import pytest

from tests.support.e2e_fixtures import World, private_text, results, settled
from tests.support.standins.images import make_image

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
