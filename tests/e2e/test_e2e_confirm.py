"""Confirm before a costly job, end to end: nothing is reserved before Confirm; Cancel and
an unanswered question cost nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import cogs.common.job.confirm
from tests.support.e2e_fixtures import World, make_world, private_text, results, settled
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.discord_models import Message, walk_components
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0


@pytest.fixture
async def world(tmp_path: Path, discord_standin: DiscordStandIn,
                provider_standins: ProviderStandIns) -> AsyncIterator[World]:
    # flux-pro costs 5: above 4, every flux-pro job asks first.
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  CONFIRM_ABOVE=4):
        yield world


def asking(ix) -> bool:  # type: ignore[no-untyped-def]
    return ix.original is not None and "Confirm within" in str(ix.original.content)


def button(message: Message, label: str) -> str:
    """The custom_id of the button labelled `label` on `message`."""
    return next(str(c["custom_id"]) for c in walk_components(message.components)
                if c.get("label") == label)


async def balance(world: World) -> int:
    services = world.runner.services
    assert services is not None
    return (await services.credits.balance(world.guild.id, world.alice.id)).total


async def ask(world: World, model: str = "flux-pro"):  # type: ignore[no-untyped-def]
    ix = await world.discord.slash(world.general, world.alice, "imagine", prompt="a cat",
                                   model=model)
    await ix.wait_until(asking, timeout=TIMEOUT)
    return ix


async def test_a_costly_job_asks_first_and_runs_on_confirm(world: World) -> None:
    ix = await ask(world)
    assert "This costs 5 credits (FLUX.1 [pro])" in private_text(ix)
    assert await balance(world) == 50  # nothing reserved while the question is open
    assert world.providers.total_generations() == 0

    # Only the member who asked may answer.
    bob = await world.discord.click(ix.original, button(ix.original, "Confirm"), world.bob)
    await bob.wait_until(lambda b: b.original is not None, timeout=TIMEOUT)
    assert "That is not available here." in private_text(bob)
    assert await balance(world) == 50 and asking(ix)

    await world.discord.click(ix.original, button(ix.original, "Confirm"), world.alice)
    await world.discord.wait_until(lambda: len(results(world.general)) == 1, timeout=TIMEOUT)
    await ix.wait_until(lambda ix: "left" in str(ix.original.content), timeout=TIMEOUT)
    assert await balance(world) == 45


async def test_cancel_costs_nothing(world: World) -> None:
    ix = await ask(world)
    await world.discord.click(ix.original, button(ix.original, "Cancel"), world.alice)
    await ix.wait_until(lambda ix: "Cancelled" in str(ix.original.content), timeout=TIMEOUT)
    assert await balance(world) == 50
    assert world.providers.total_generations() == 0


async def test_an_unanswered_question_expires_and_costs_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cogs.common.job.confirm, "CONFIRM_SECONDS", 0.3)
    ix = await ask(world)
    await ix.wait_until(lambda ix: "Not confirmed within 0.3 seconds" in
                        str(ix.original.content), timeout=TIMEOUT)
    assert await balance(world) == 50
    assert world.providers.total_generations() == 0
    assert not ix.original.components  # the buttons are gone


async def test_a_job_within_the_limit_runs_without_asking(world: World) -> None:
    ix = await world.discord.slash(world.general, world.alice, "imagine", prompt="a cat",
                                   model="flux-1.1-pro")  # 4 credits
    await world.discord.wait_until(lambda: len(results(world.general)) == 1, timeout=TIMEOUT)
    assert not asking(ix)


async def test_a_question_opened_from_a_result_deleted_since_makes_nothing(
    world: World,
) -> None:
    # SPEC: Delete makes a result dead, every button opened from it "also one already
    # open". Before, Bob's Confirm remade and posted Alice's deleted image.
    ix = await ask(world)
    await world.discord.click(ix.original, button(ix.original, "Confirm"), world.alice)
    await world.discord.wait_until(lambda: len(results(world.general)) == 1, timeout=TIMEOUT)
    [message] = results(world.general)
    job = message.custom_ids()[0].rsplit(":", 1)[1]
    reroll = await world.discord.click(message, f"fluxcord:reroll:{job}", world.bob)
    await reroll.wait_until(asking, timeout=TIMEOUT)
    deleted = await settled(await world.discord.click(message, f"fluxcord:delete:{job}",
                                                      world.alice))
    assert "Deleted" in private_text(deleted)
    made = world.providers.total_generations()
    services = world.runner.services
    assert services is not None
    before = (await services.credits.balance(world.guild.id, world.bob.id)).total

    await world.discord.click(reroll.original, button(reroll.original, "Confirm"), world.bob)
    await reroll.wait_until(lambda i: "deleted" in str(i.original.content), timeout=TIMEOUT)
    assert "That image was deleted; nothing of it is kept." in private_text(reroll)
    assert results(world.general) == []
    assert world.providers.total_generations() == made
    assert (await services.credits.balance(world.guild.id, world.bob.id)).total == before
