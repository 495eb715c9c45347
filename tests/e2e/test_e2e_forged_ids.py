"""Ids that come back from Discord, forged as a modified client can (SPEC section 2): a
member of server B sends the custom_id of server A's job, board, appeal, question or page,
by a click or a modal submit. Every one is answered privately "That is not available
here." and changes nothing: no provider call, no credits moved, nothing posted or removed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.e2e_fixtures import World, make_world, private_text, results, settled
from tests.support.standins.discord_api import (
    Channel,
    DiscordStandIn,
    Guild,
    Message,
    Perm,
    StandInInteraction,
)
from tests.support.standins.discord_models import walk_components
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0
NOT_HERE = "That is not available here."


@pytest.fixture
async def world(tmp_path: Path, discord_standin: DiscordStandIn,
                provider_standins: ProviderStandIns) -> AsyncIterator[World]:
    # Two flux-pro images (10 credits) ask to confirm; two flux-1.1-pro ones (8) do not.
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  CONFIRM_ABOVE=9):
        yield world


@dataclass
class Other:
    """Server B, where the forger is a member, and a result of their own there."""

    guild: Guild
    channel: Channel
    result: Message


async def other_server(world: World) -> Other:
    guild = world.discord.add_guild("Elsewhere")
    channel = guild.add_channel("lobby")
    await world.discord.wait_until(
        lambda: world.runner.bot is not None
        and world.runner.bot.get_channel(channel.id) is not None, timeout=TIMEOUT)
    await settled(await world.discord.slash(channel, world.bob, "imagine", prompt="a kite",
                                             model="flux-1.1-pro"))
    [result] = results(channel)
    return Other(guild, channel, result)


def job_of(message: Message) -> str:
    return message.custom_ids()[0].rsplit(":", 1)[1]


async def snapshot(world: World, other: Other) -> tuple[object, ...]:
    """What a forgery must not change: provider calls, balances, public messages, jobs."""
    services = world.runner.services
    assert services is not None
    balances = []
    for guild in (world.guild, other.guild):
        for user in (world.alice, world.bob, world.admin):
            balances.append((await services.credits.balance(guild.id, user.id)).total)
    public = []
    for guild in (world.guild, other.guild):
        for channel in [*guild.channels, *guild.threads]:
            public.append(tuple((m.id, m.content, len(m.attachments)) for m in channel.messages
                                if not m.deleted and not m.ephemeral))
    return world.providers.total_generations(), tuple(balances), tuple(public)


async def refused(ix: StandInInteraction) -> str:
    await ix.wait_until(lambda i: i.original is not None and not i.original.loading,
                        timeout=TIMEOUT)
    return private_text(ix)


async def test_forged_clicks_and_modals_for_another_servers_result_are_refused(
    world: World,
) -> None:
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                             prompt="a harbour", model="flux-1.1-pro",
                                             count=2))
    [theirs] = results(world.general)
    job = job_of(theirs)
    curator = world.discord.add_user("curator", permissions=Perm.MANAGE_CHANNELS)
    await settled(await world.discord.slash(world.general, curator, "board", "create",
                                            name="Harbours"))
    services = world.runner.services
    assert services is not None
    [(board, _)] = await services.boards.boards(world.guild.id)
    other = await other_server(world)
    before = await snapshot(world, other)

    clicks = [f"fluxcord:{action}:{job}" for action in
              ("reroll", "edit", "delete", "edit-image", "board-add", "again", "cancel")]
    for custom_id in clicks:
        for shown in (True, False):
            ix = await world.discord.forge_click(other.result, custom_id, world.bob,
                                                 shown=shown)
            assert await refused(ix) == NOT_HERE, (custom_id, shown)
            assert ix.modal is None
    selects = [(f"fluxcord:board-image:{job}", ["2"]), (f"fluxcord:board-pick:{job}:2", [board.id])]
    for custom_id, values in selects:
        for shown in (True, False):
            ix = await world.discord.forge_click(other.result, custom_id, world.bob,
                                                 values=values, shown=shown)
            assert await refused(ix) == NOT_HERE, (custom_id, shown)
    # /history's Reroll select, with alice's own job of server A sent from server B.
    for shown in (True, False):
        ix = await world.discord.forge_click(other.result, "fluxcord:history-reroll",
                                             world.alice, values=[job], shown=shown)
        assert await refused(ix) == NOT_HERE, shown
    modals = [(f"fluxcord:edit-modal:{job}:1", {"prompt": "a harbour at night"}),
              (f"fluxcord:edit-image-modal:{job}:1", {"change": "make it night", "which": "2"}),
              # Ids that fit no modal of the bot's are refused as well, not left unanswered.
              (f"fluxcord:edit-modal:{job.upper()}:1", {"prompt": "a harbour at night"}),
              (f"fluxcord:edit-image-modal:{job}:²", {"change": "make it night"})]
    for custom_id, fields in modals:
        ix = await world.discord.submit_modal(custom_id, fields, world.bob, other.channel,
                                              message=other.result)
        assert await refused(ix) == NOT_HERE, custom_id

    assert await snapshot(world, other) == before
    assert not theirs.deleted
    kept = await services.records.get_job(job)
    assert kept is not None and kept.deleted_at is None
    # The same ids still work where they belong.
    ix = await settled(await world.discord.click(theirs, f"fluxcord:reroll:{job}", world.bob))
    assert len(results(world.general)) == 2, private_text(ix)


async def test_forged_appeal_decisions_and_pages_from_another_server_are_refused(
    world: World,
) -> None:
    await settled(await world.discord.slash(world.general, world.admin, "moderation",
                                            "blocklist", "add", entry="dragon"))
    review = world.guild.add_channel("mod-review")
    await world.discord.wait_until(
        lambda: world.runner.bot is not None
        and world.runner.bot.get_channel(review.id) is not None, timeout=TIMEOUT)
    await settled(await world.discord.slash(world.general, world.admin, "moderation",
                                            "review-channel", channel=review))
    struck = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                      prompt="a dragon", model="flux-1.1-pro"))
    assert struck.original is not None
    appeal_id = struck.original.custom_ids()[0]
    strike = appeal_id.rsplit(":", 1)[1]
    other = await other_server(world)

    # Before the appeal: alice's own Appeal, sent from server B, is not hers there.
    before = await snapshot(world, other)
    ix = await world.discord.forge_click(other.result, appeal_id, world.alice, shown=True)
    assert await refused(ix) == NOT_HERE
    assert [m for m in review.messages if not m.deleted] == []

    appealed = await world.discord.click(struck.original, appeal_id, world.alice)
    await world.discord.wait_until(lambda: bool(review.messages), timeout=TIMEOUT)
    await appealed.wait_until(lambda i: "sent to the server's moderators"
                              in str(i.original.content if i.original else ""),
                              timeout=TIMEOUT)
    before = await snapshot(world, other)
    for action in ("appeal-approve", "appeal-reject"):
        for shown in (True, False):
            ix = await world.discord.forge_click(other.result, f"fluxcord:{action}:{strike}",
                                                 world.admin, shown=shown)
            assert await refused(ix) == NOT_HERE, (action, shown)
    services = world.runner.services
    assert services is not None
    appeal = await services.moderation.appeal(strike)
    assert appeal is not None and appeal.state == "pending"
    assert await services.moderation.strike(strike) is not None

    # Server A's settings, paged from server B.
    for shown in (True, False):
        ix = await world.discord.forge_click(
            other.result, f"fluxcord:page:settings:{world.guild.id}:1", world.admin,
            shown=shown)
        assert await refused(ix) == NOT_HERE
        assert not (ix.original and ix.original.embeds)
    assert await snapshot(world, other) == before


async def test_a_forged_confirm_from_another_server_is_refused(world: World) -> None:
    asking = await world.discord.slash(world.general, world.alice, "imagine", prompt="a cat",
                                       model="flux-pro", count=2)
    await asking.wait_until(lambda i: i.original is not None
                            and "Confirm within" in str(i.original.content), timeout=TIMEOUT)
    assert asking.original is not None
    confirm = next(str(c["custom_id"]) for c in walk_components(asking.original.components)
                   if c.get("label") == "Confirm")
    assert confirm.startswith("fluxcord:confirm:")
    other = await other_server(world)
    before = await snapshot(world, other)

    ix = await world.discord.forge_click(other.result, confirm, world.bob)
    assert await refused(ix) == NOT_HERE
    assert await snapshot(world, other) == before
    assert "Confirm within" in str(asking.original.content)  # still asking alice
