"""One `on_interaction` listener answers the modals of every feature (cogs.common.modals):
discord.py makes a task per listener for every interaction, commands included, so the
features' modals add none. The modals themselves are answered as before (the e2e tests
of Edit, Edit image, the tools and forged ids)."""

from __future__ import annotations

import pytest

from tests.support.e2e_fixtures import World

pytestmark = pytest.mark.asyncio


async def test_the_bots_modals_share_one_interaction_listener(world: World) -> None:
    bot = world.runner.bot
    assert bot is not None
    assert {"Imagine", "Edit", "Tools"} <= set(bot.cogs)
    assert len(bot.extra_events["on_interaction"]) == 1

