"""Moderation seen from the server's administration, end to end through the Discord
stand-in: its actions in the log channel, and its state in `/server settings`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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


@pytest.fixture
async def listed(tmp_path: Path, discord_standin: DiscordStandIn,
                 provider_standins: ProviderStandIns) -> AsyncIterator[World]:
    """A world whose operator blocklist has two entries."""
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("# the operator's\nogre\n/troll+s?/\n", encoding="utf-8")
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  BLOCKLIST_FILE=str(blocklist)):
        yield world


async def slash(world: World, user: User, *path: str, **options: object) -> Any:
    return await settled(await world.discord.slash(world.general, user, *path, **options))


async def test_moderation_actions_reach_the_log_channel(world: World) -> None:
    log = world.guild.add_channel("admin-log")
    await slash(world, world.admin, "server", "log-channel", channel=log)
    admin = world.admin.mention
    await slash(world, world.admin, "moderation", "blocklist", "add", entry="dragon")
    refused = await slash(world, world.alice, "imagine", prompt="a dragon", model="flux-pro")
    assert "`dragon`" in private_text(refused)
    await slash(world, world.admin, "moderation", "block", member=world.bob,
                reason="spam in <#1>")  # shown as typed, no channel
    await slash(world, world.admin, "moderation", "unblock", member=world.bob)
    await slash(world, world.admin, "moderation", "pardon", member=world.alice)
    await slash(world, world.admin, "moderation", "blocklist", "remove", entry="dragon")

    expected = [
        f"{admin} chose this channel",
        f"{admin} added `dragon` to the blocklist",
        f"Strike for {world.alice.mention}: a prompt refused by the blocklist entry `dragon`",
        f"{admin} blocked {world.bob.mention}. Reason: spam in <\u200b#1>",
        f"{admin} unblocked {world.bob.mention}",
        f"{admin} pardoned {world.alice.mention}",
        f"{admin} removed `dragon` from the blocklist",
    ]
    await world.discord.wait_until(lambda: len(log.messages) >= len(expected), timeout=30)
    lines = [str(m.content) for m in log.messages]
    assert len(lines) == len(expected), lines
    for start in expected:  # posts wait for the rate limit, so their order may vary
        assert len([line for line in lines if line.startswith(start)]) == 1, (start, lines)
    # The refused prompt itself stays out of the log channel.
    assert not any("a dragon" in line for line in lines)


async def test_server_settings_shows_the_blocklists_and_the_review_channel(
    listed: World,
) -> None:
    world = listed
    text = embed_text(private_embed(await slash(world, world.admin, "server", "settings")))
    assert "Blocklist: 0 entries here, 2 entries from the bot's operator" in text
    assert "Review channel: none" in text

    review = world.guild.add_channel("mod-review")
    await world.discord.wait_until(
        lambda: world.runner.bot is not None
        and world.runner.bot.get_channel(review.id) is not None)
    await slash(world, world.admin, "moderation", "review-channel", channel=review)
    await slash(world, world.admin, "moderation", "blocklist", "add", entry="dragon")
    text = embed_text(private_embed(await slash(world, world.admin, "server", "settings")))
    assert "Blocklist: 1 entry here, 2 entries from the bot's operator" in text
    assert f"Review channel: <#{review.id}>" in text
