"""PROVIDER_CONCURRENCY on PostgreSQL holds for all the bot's processes together: two real
bot processes (shards 0 and 1) on one database never have more calls at a provider than
the limit, and a process killed with -9 gives its slots back without anyone's help."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.support.bot_process import BotProcess
from tests.support.e2e_fixtures import results, settled
from tests.support.postgres import ThrowawayPostgres
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio

LIMIT = 2


async def calls_reach(provider_standins: ProviderStandIns, count: int, seconds: float) -> float:
    """Waits until `count` generation requests reached 1min.ai; how long it took."""
    started = time.monotonic()
    while len(provider_standins.onemin.generation_bodies()) < count:
        if time.monotonic() - started > seconds:
            raise AssertionError(
                f"{len(provider_standins.onemin.generation_bodies())} calls, not {count}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_two_processes_share_the_limit_and_a_killed_one_gives_its_slots_back(
    tmp_path: Path, provider_standins: ProviderStandIns, pg_server: ThrowawayPostgres,
) -> None:
    onemin = provider_standins.onemin
    async with DiscordStandIn(max_concurrency=2) as discord:
        first = discord.add_guild("On shard 0", shard=(0, 2)).add_channel("general")
        second = discord.add_guild("On shard 1", shard=(1, 2)).add_channel("general")
        alice = discord.add_user("alice")
        settings = {
            "DATABASE_URL": pg_server.new_database(), "SHARD_COUNT": "2",
            "SHUTDOWN_GRACE_SECONDS": "0.2", "PROVIDER_CONCURRENCY": str(LIMIT),
            "MAX_JOBS_PER_MEMBER": "3",
            "ONEMIN_API_KEY": provider_standins.keys["onemin"],
            "ONEMIN_BASE_URL": onemin.base_url,
        }
        bots = (BotProcess("shard 0", discord, tmp_path, SHARD_IDS="0", **settings),
                BotProcess("shard 1", discord, tmp_path, SHARD_IDS="1", **settings))
        try:
            await asyncio.gather(*(bot.start() for bot in bots))
            await asyncio.gather(*(bot.ready() for bot in bots))
            # Every call is held at the provider until released.
            onemin.inject("slow", times=2 * LIMIT, seconds=120)

            # Shard 0's process takes both slots of the fleet...
            for n in range(3):
                await discord.slash(first, alice, "imagine", prompt=f"first {n}",
                                    model="flux-dev")
            await calls_reach(provider_standins, LIMIT, 30)
            # ...so shard 1's process, below its own limit, waits for one.
            theirs = [await discord.slash(second, alice, "imagine", prompt=f"second {n}",
                                          model="flux-dev") for n in range(3)]
            await asyncio.sleep(2.0)
            assert len(onemin.generation_bodies()) == LIMIT
            assert onemin.max_in_flight == LIMIT

            # Killed with -9 while holding both: its slots come back by themselves.
            await bots[0].kill()
            waited = await calls_reach(provider_standins, 2 * LIMIT, 30)
            assert waited < 30
            await asyncio.sleep(1.0)
            assert len(onemin.generation_bodies()) == 2 * LIMIT  # shard 1: LIMIT at once

            onemin.release()
            for ix in theirs:
                await settled(ix)
            assert len(results(second)) == 3
            assert await bots[1].stop() == 0
        finally:
            onemin.release()
            for bot in bots:
                if bot.process is not None and bot.process.returncode is None:
                    await bot.kill()
