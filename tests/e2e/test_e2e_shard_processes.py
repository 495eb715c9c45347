"""Two real bot processes, shards 0 and 1, against the Discord stand-in and one real
PostgreSQL: commands registered once, each serves its own server, a restart or a kill -9
of one never touches the other's jobs, and a third process for a held shard is refused."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from bot.credits import CreditDefaults, Credits
from bot.credits import store as credits_store
from bot.credits.rows import Job, JobStatus
from bot.schema import open_store
from bot.storage import Store
from bot.storage.postgres_tx import LOCK_SHARD
from tests.support.bot_process import BotProcess
from tests.support.e2e_fixtures import results, settled
from tests.support.postgres import ThrowawayPostgres
from tests.support.standins.discord_api import Channel, DiscordStandIn, User
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio

SHARDS = 2


@dataclass
class Fleet:
    discord: DiscordStandIn
    providers: ProviderStandIns
    db: Store
    url: str
    guild_ids: tuple[int, int]
    channels: tuple[Channel, Channel]  # a server on shard 0, one on shard 1
    alice: User
    settings: dict[str, str]
    bots: tuple[BotProcess, BotProcess]  # the processes of shards 0 and 1

    async def jobs(self, channel: Channel) -> list[Job]:
        """The channel's jobs, oldest first."""
        rows = await self.db.read(lambda tx: tx.dump("jobs"))
        jobs = [await self.job_by_id(str(row[0])) for row in rows]
        return sorted((j for j in jobs if j.channel_id == channel.id),
                      key=lambda j: j.created_at)

    async def job_by_id(self, job_id: str) -> Job:
        job = await self.db.read(lambda tx: credits_store.job(tx, job_id))
        assert job is not None
        return job

    async def job(self, channel: Channel) -> Job:
        (job,) = await self.jobs(channel)
        return job

    async def wait_status(self, channel: Channel, status: JobStatus) -> Job:
        """The channel's one job, once it has `status` (the image shows before it is settled)."""
        for _ in range(600):
            job = await self.job(channel)
            if job.status == status:
                return job
            await asyncio.sleep(0.05)
        raise AssertionError(f"the job of {channel.name} never became {status.value}")

    async def wait_generating(self, channel: Channel, number: int = 1) -> Job:
        """The channel's `number`-th job, once it waits at the (held) provider."""
        for _ in range(600):
            jobs = await self.jobs(channel)
            if len(jobs) >= number and jobs[number - 1].status == JobStatus.GENERATING:
                return jobs[number - 1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"job {number} of {channel.name} never reached the provider")


@contextlib.asynccontextmanager
async def open_fleet(
    tmp_path: Path, provider_standins: ProviderStandIns, pg_server: ThrowawayPostgres,
    max_concurrency: int,
) -> AsyncIterator[Fleet]:
    async with DiscordStandIn(max_concurrency=max_concurrency) as discord:
        first = discord.add_guild("On shard 0", shard=(0, SHARDS))
        second = discord.add_guild("On shard 1", shard=(1, SHARDS))
        channels = (first.add_channel("general"), second.add_channel("general"))
        alice = discord.add_user("alice")
        url = pg_server.new_database()
        onemin = provider_standins.onemin
        settings = {
            "DATABASE_URL": url, "SHARD_COUNT": str(SHARDS), "SHUTDOWN_GRACE_SECONDS": "0.2",
            # One provider, so a job's request is the one a test holds back.
            "ONEMIN_API_KEY": provider_standins.keys["onemin"],
            "ONEMIN_BASE_URL": onemin.base_url,
        }
        bots = (BotProcess("shard 0", discord, tmp_path, SHARD_IDS="0", **settings),
                BotProcess("shard 1", discord, tmp_path, SHARD_IDS="1", **settings))
        db = await open_store(url)
        try:
            yield Fleet(discord, provider_standins, db, url, (first.id, second.id), channels,
                        alice, settings, bots)
        finally:
            provider_standins.onemin.release()
            for bot in bots:
                if bot.process is not None and bot.process.returncode is None:
                    await bot.kill()
            await db.close()
        assert discord.unknown_requests == []
        assert discord.internal_errors == []


@pytest.fixture
async def fleet(
    tmp_path: Path, provider_standins: ProviderStandIns, pg_server: ThrowawayPostgres,
) -> AsyncIterator[Fleet]:
    # Two identify buckets: two processes log in without the 5 s wait between them.
    async with open_fleet(tmp_path, provider_standins, pg_server, 2) as fleet:
        yield fleet


async def test_two_processes_register_once_and_each_serves_its_own_server(
    fleet: Fleet,
) -> None:
    # The registration takes a while, so both processes would find the commands
    # unregistered if they did not take turns.
    fleet.discord.slow("PUT", "/applications/{app}/commands", 3.0)
    await asyncio.gather(*(bot.start() for bot in fleet.bots))
    await asyncio.gather(*(bot.ready() for bot in fleet.bots))

    assert fleet.discord.command_puts == 1
    assert sum(bool(re.search(r"registered \d+ slash commands", bot.log))
               for bot in fleet.bots) == 1
    sessions = sorted((s.shard_id, s.shard_count) for s in fleet.discord.gateway.connected_sessions)
    assert sessions == [(0, SHARDS), (1, SHARDS)]

    for channel in fleet.channels:
        await settled(await fleet.discord.slash(channel, fleet.alice, "imagine",
                                                prompt="a harbour", model="flux-dev"))
    assert [len(results(channel)) for channel in fleet.channels] == [1, 1]
    assert [(await fleet.job(c)).shard for c in fleet.channels] == [0, 1]
    assert [(await fleet.job(c)).status for c in fleet.channels] == [JobStatus.SETTLED] * 2

    # A third process for shard 1, which is running: it says so and exits.
    third = BotProcess("shard 1 again", fleet.discord, fleet.bots[1].cwd, SHARD_IDS="1",
                       **fleet.settings)
    await third.start()
    assert await third.exit_code() == 1
    refusals = [line for line in third.lines if "ERROR" in line]
    assert len(refusals) == 1, third.log
    assert "shard 1 is already run by another fluxcord process" in refusals[0]
    assert fleet.discord.command_puts == 1

    for bot in fleet.bots:
        assert await bot.stop() == 0


async def test_a_restart_or_a_kill_of_one_process_leaves_the_others_job_alone(
    fleet: Fleet,
) -> None:
    shard_0, shard_1 = fleet.bots
    on_0, on_1 = fleet.channels
    onemin = fleet.providers.onemin
    await asyncio.gather(shard_0.start(), shard_1.start())
    await asyncio.gather(shard_0.ready(), shard_1.ready())

    # Both processes have a job waiting at the provider.
    onemin.inject("slow", times=2, seconds=120)
    first = await fleet.discord.slash(on_0, fleet.alice, "imagine", prompt="first",
                                      model="flux-dev")
    theirs = await fleet.discord.slash(on_1, fleet.alice, "imagine", prompt="theirs",
                                       model="flux-dev")
    await fleet.wait_generating(on_0)
    await fleet.wait_generating(on_1)

    # Shard 1's process restarts mid-job: its own job is refunded, shard 0's runs on.
    assert await shard_1.stop() == 0
    await shard_1.start()
    await shard_1.ready()
    assert (await fleet.job(on_1)).status == JobStatus.REFUNDED
    assert (await fleet.job(on_0)).status == JobStatus.GENERATING
    onemin.release()
    await settled(first)
    await settled(theirs)
    assert len(results(on_0)) == 1
    await fleet.wait_status(on_0, JobStatus.SETTLED)

    # Shard 0's process dies with a job at the provider; shard 1's restarts meanwhile.
    onemin.inject("slow", times=1, seconds=120)
    await fleet.discord.slash(on_0, fleet.alice, "imagine", prompt="second", model="flux-dev")
    second = await fleet.wait_generating(on_0, number=2)
    await shard_0.kill()
    assert await shard_1.stop() == 0
    await shard_1.start()
    await shard_1.ready()
    # Not shard 1's to touch: shard 0's process may be on its way back.
    assert (await fleet.job_by_id(second.id)).status == JobStatus.GENERATING

    # Shard 0's process comes back and recovers its job itself, once.
    await shard_0.start()
    await shard_0.ready()
    assert (await fleet.job_by_id(second.id)).status == JobStatus.REFUNDED
    ledger = await fleet.db.read(
        lambda tx: credits_store.ledger(tx, fleet.guild_ids[0], fleet.alice.id))
    moves = sorted(e.reason for e in ledger if e.job_id == second.id)
    assert moves == ["refund: interrupted by a restart", "reserve"]
    assert await Credits(fleet.db, CreditDefaults()).audit() == []
    for bot in fleet.bots:
        assert await bot.stop() == 0


async def test_on_sqlite_a_second_process_on_the_same_file_exits_saying_why(
    tmp_path: Path,
) -> None:
    async with DiscordStandIn() as discord:
        discord.add_guild("Moodboard")
        settings = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fluxcord.db'}",
                    "PLACEHOLDER_PROVIDER": "true"}
        first = await BotProcess("first", discord, tmp_path, **settings).start()
        try:
            await first.ready()
            second = await BotProcess("second", discord, tmp_path, **settings).start()
            assert await second.exit_code() == 1
            errors = [line for line in second.lines if " ERROR " in line]
            assert len(errors) == 1, second.log
            assert f"another fluxcord process already uses {tmp_path / 'fluxcord.db'}" in errors[0]
            assert "SQLite serves one process only" in errors[0]
            assert len(discord.gateway.connected_sessions) == 1  # the first, still serving
        finally:
            assert await first.stop() == 0


async def test_processes_starting_together_identify_at_discords_pace(
    tmp_path: Path, provider_standins: ProviderStandIns, pg_server: ThrowawayPostgres,
) -> None:
    # One identify bucket: Discord takes one identify per 5 s from all the processes.
    async with open_fleet(tmp_path, provider_standins, pg_server, 1) as fleet:
        await asyncio.gather(*(bot.start() for bot in fleet.bots))
        await asyncio.gather(*(bot.ready() for bot in fleet.bots))
        assert fleet.discord.gateway.identify_refusals == []
        assert len(fleet.discord.gateway.connected_sessions) == SHARDS
        assert sum("waiting" in bot.log and "another process's shard" in bot.log
                   for bot in fleet.bots) == 1
        for bot in fleet.bots:
            assert await bot.stop() == 0


async def test_a_process_that_loses_its_shard_locks_stops_saying_why(fleet: Fleet) -> None:
    shard_0 = fleet.bots[0]
    await shard_0.start()
    await shard_0.ready()

    # The connection holding the locks ends (a database restart, a network cut): a process
    # for shard 0 could start now, so this one must not run on.
    conn = await asyncpg.connect(fleet.url)
    try:
        ended = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
            "WHERE locktype = 'advisory' AND classid = $1 AND objid = 0 AND objsubid = 2",
            LOCK_SHARD)
    finally:
        await conn.close()
    assert ended == 1
    assert await shard_0.exit_code() == 1
    errors = [line for line in shard_0.lines if " ERROR " in line]
    assert len(errors) == 1, shard_0.log
    assert "lost the database connection that holds shards 0 of 2" in errors[0]
