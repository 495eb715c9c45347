"""Amounts read right where a member sees them: one credit is "1 credit", end to end."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.e2e_fixtures import World, private_text, results, settled

pytestmark = pytest.mark.asyncio


async def imagine_small(world: World) -> Any:
    """flux-dev at 0.25 MP: the one-credit image."""
    return await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="a small cat", model="flux-dev",
        megapixels="0.25"))


async def test_a_one_credit_image_says_1_credit(world: World) -> None:
    services = world.runner.services
    assert services is not None
    await services.guilds.set_allowance(world.guild.id, 2, None)
    await imagine_small(world)
    fields = {f["name"]: f["value"] for f in results(world.general)[0].embeds[0]["fields"]}
    assert fields["Cost"] == "1 credit"
    assert fields["Balance"] == "1 credit left"


async def test_a_one_credit_refund_says_it_is_back(world: World) -> None:
    world.providers.onemin.inject("server_error", times=10, status=502)
    text = private_text(await imagine_small(world))
    assert "Your 1 credit is back." in text, text
    assert results(world.general) == []
