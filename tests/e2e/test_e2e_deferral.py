"""A job's private deferral: "thinking…" for the member alone, acknowledged without asking
Discord for the message it made (nothing reads it; a job's every request to Discord is
CPU the bot spends in a burst), for a command and a button alike."""

from __future__ import annotations

import pytest

from tests.support.e2e_fixtures import World, private_text, results, settled

pytestmark = pytest.mark.asyncio

DEFERRED_PRIVATELY = (5, {"flags": 64})  # "thinking…", ephemeral


async def test_imagine_is_deferred_privately_without_asking_for_discords_answer(
    world: World,
) -> None:
    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="a cat", model="flux-dev"))
    assert ix.callbacks == [DEFERRED_PRIVATELY]
    assert ix.answers_asked == 0
    assert private_text(ix).startswith("Done:")
    assert len(results(world.general)) == 1


async def test_a_reroll_click_is_deferred_privately_without_asking_for_discords_answer(
    world: World,
) -> None:
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                            prompt="a cat", model="flux-dev"))
    message = results(world.general)[0]
    job = message.custom_ids()[0].rsplit(":", 1)[1]
    reroll = await settled(await world.discord.click(message, f"fluxcord:reroll:{job}",
                                                      world.alice))
    assert reroll.callbacks == [DEFERRED_PRIVATELY]
    assert reroll.answers_asked == 0
    assert private_text(reroll).startswith("Done:")
    assert len(results(world.general)) == 2
