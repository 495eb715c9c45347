"""Shards end to end: the real bot runs the shards SHARD_COUNT and SHARD_IDS name, and each
shard serves the servers Discord routes to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.e2e_fixtures import results, settled
from tests.support.harness import BotRunner, e2e_settings
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def discord() -> AsyncIterator[DiscordStandIn]:
    # Two identify buckets, so two shards of one process log in without the 5 s wait.
    async with DiscordStandIn(max_concurrency=2) as standin:
        standin.install()
        yield standin
        assert standin.unknown_requests == []
        assert standin.internal_errors == []
        assert standin.gateway.identify_refusals == []


async def test_one_process_serves_imagine_in_servers_of_both_its_shards(
    tmp_path: Path, discord: DiscordStandIn, provider_standins: ProviderStandIns
) -> None:
    first = discord.add_guild("On shard 0", shard=(0, 2))
    second = discord.add_guild("On shard 1", shard=(1, 2))
    channels = [first.add_channel("general"), second.add_channel("general")]
    alice = discord.add_user("alice")
    settings = e2e_settings(
        tmp_path, discord, provider_standins, SHARD_COUNT=2, SHARD_IDS="0,1"
    )
    runner = BotRunner(settings, discord)
    bot = await runner.start()
    try:
        assert sorted((s.shard_id, s.shard_count) for s in discord.gateway.connected_sessions) == [
            (0, 2), (1, 2),
        ]
        assert {g.id: g.shard_id for g in bot.guilds} == {first.id: 0, second.id: 1}
        assert bot.identify_pacer.max_concurrency == 2  # as GET /gateway/bot said
        for channel in channels:
            await settled(await discord.slash(channel, alice, "imagine", prompt="a harbour"))
        assert [len(results(channel)) for channel in channels] == [1, 1]
        assert await runner.audit() == []
    finally:
        await runner.stop()


async def test_a_process_running_shard_1_never_gets_shard_0s_servers(
    tmp_path: Path, discord: DiscordStandIn, provider_standins: ProviderStandIns
) -> None:
    other = discord.add_guild("Another process's", shard=(0, 2))
    ours = discord.add_guild("Ours", shard=(1, 2))
    other_channel, our_channel = other.add_channel("general"), ours.add_channel("general")
    alice = discord.add_user("alice")
    settings = e2e_settings(tmp_path, discord, provider_standins, SHARD_COUNT=2, SHARD_IDS="1")
    runner = BotRunner(settings, discord)
    bot = await runner.start()
    try:
        (session,) = discord.gateway.connected_sessions
        assert (session.shard_id, session.shard_count) == (1, 2)
        assert [g.id for g in bot.guilds] == [ours.id]

        # Shard 0's events go to shard 0's process, which is not running: nothing reaches us.
        with pytest.raises(RuntimeError, match="no gateway client"):
            await discord.slash(other_channel, alice, "imagine", prompt="not for us")
        other.add_channel("later")
        assert bot.get_guild(other.id) is None
        assert not any(
            str(other.id) in (frame["d"].get("guild_id"), frame["d"].get("id"))
            for frame in session.buffer
        )

        await settled(await discord.slash(our_channel, alice, "imagine", prompt="a harbour"))
        assert len(results(our_channel)) == 1
        assert results(other_channel) == []
    finally:
        await runner.stop()


async def test_without_shard_settings_the_bot_keeps_one_connection(
    tmp_path: Path, discord: DiscordStandIn, provider_standins: ProviderStandIns
) -> None:
    guilds = [discord.add_guild(f"Server {n}") for n in range(3)]
    runner = BotRunner(e2e_settings(tmp_path, discord, provider_standins), discord)
    bot = await runner.start()
    try:
        (session,) = discord.gateway.connected_sessions
        assert (session.shard_id, session.shard_count) == (0, 1)
        assert sorted(g.id for g in bot.guilds) == sorted(g.id for g in guilds)
    finally:
        await runner.stop()


async def test_two_shards_in_one_identify_bucket_log_in_at_discords_pace(
    tmp_path: Path, provider_standins: ProviderStandIns
) -> None:
    # max_concurrency 1: the stand-in answers a second identify within 5 s with op 9.
    async with DiscordStandIn(max_concurrency=1) as discord:
        discord.install()
        guilds = [discord.add_guild(f"On shard {n}", shard=(n, 2)) for n in range(2)]
        settings = e2e_settings(tmp_path, discord, provider_standins, SHARD_COUNT=2)
        runner = BotRunner(settings, discord)
        bot = await runner.start()
        try:
            assert discord.gateway.identify_refusals == []
            assert len(discord.gateway.connected_sessions) == 2
            assert sorted(g.id for g in bot.guilds) == sorted(g.id for g in guilds)
        finally:
            await runner.stop()
