"""Several processes on one database: each holds its shards for as long as it lives, and
recovers only its own shards' jobs (on each engine)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.credits import Credits, NewJob
from bot.credits.records import JobRecords
from bot.credits.rows import JobStatus
from bot.fleet import ShardSet, ShardTaken, hold_shards
from bot.recovery import Recovery
from bot.schema import open_store
from tests.support.postgres import ThrowawayPostgres


def shards(*ids: int, count: int = 2) -> ShardSet:
    return ShardSet(frozenset(ids), count)


async def test_on_postgresql_a_shard_is_held_by_one_process_at_a_time(
    pg_server: ThrowawayPostgres,
) -> None:
    url = pg_server.new_database()
    # Two stores: two pools, two sessions, as two processes would have.
    first, second = await open_store(url), await open_store(url)
    try:
        async with hold_shards(first, shards(0), "db"):
            with pytest.raises(ShardTaken, match="shard 0 is already run by another"):
                async with hold_shards(second, shards(1, 0), "db"):
                    pass
            with pytest.raises(ShardTaken, match="already runs on this database"):
                async with hold_shards(second, ShardSet(), "db"):  # every shard
                    pass
            async with hold_shards(second, shards(1), "db"):  # another shard is free
                pass
        async with hold_shards(second, shards(0), "db"):  # given back at the end
            with pytest.raises(ShardTaken, match="shard 0"):
                async with hold_shards(first, shards(0), "db"):
                    pass
    finally:
        await first.close()
        await second.close()


async def test_on_postgresql_a_process_running_every_shard_excludes_shard_processes(
    pg_server: ThrowawayPostgres,
) -> None:
    url = pg_server.new_database()
    first, second = await open_store(url), await open_store(url)
    try:
        async with hold_shards(first, ShardSet(), "db"):
            with pytest.raises(ShardTaken, match="runs every shard on this database"):
                async with hold_shards(second, shards(1), "db"):
                    pass
    finally:
        await first.close()
        await second.close()


async def test_on_sqlite_a_second_process_on_the_same_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fluxcord.db'}"
    first, second = await open_store(url), await open_store(url)
    try:
        async with hold_shards(first, ShardSet(), "data/fluxcord.db"):
            with pytest.raises(ShardTaken, match=r"already uses data/fluxcord\.db; SQLite "
                                                 r"serves one process only"):
                async with hold_shards(second, ShardSet(), "data/fluxcord.db"):
                    pass
        async with hold_shards(second, ShardSet(), "data/fluxcord.db"):
            pass  # the lock went with the first
    finally:
        await first.close()
        await second.close()


async def test_a_job_keeps_its_shard(credits: Credits, records: JobRecords) -> None:
    job = await credits.reserve(NewJob(guild_id=10, channel_id=5, user_id=1, model="flux-dev",
                                       prompt="a harbour", cost=1, seed=1, shard=3))
    stored = await records.get_job(job.id)
    assert stored is not None and stored.shard == 3


async def test_recovery_refunds_only_the_jobs_of_the_shards_it_holds(
    credits: Credits, records: JobRecords
) -> None:
    async def reserve(shard: int) -> str:
        job = await credits.reserve(NewJob(guild_id=10, channel_id=5, user_id=shard + 1,
                                           model="flux-dev", prompt=f"on shard {shard}",
                                           cost=2, seed=1, shard=shard))
        await records.mark(job.id, "generating", provider="onemin")
        return job.id

    on_0, on_1, on_3 = await reserve(0), await reserve(1), await reserve(3)

    async def status(job_id: str) -> JobStatus:
        job = await records.get_job(job_id)
        assert job is not None
        return job.status

    # The process of shard 1 restarts while shard 0's process is generating.
    await Recovery(None, credits, records, shards=shards(1)).before_connect()  # type: ignore[arg-type]
    assert [await status(j) for j in (on_0, on_1, on_3)] == [
        JobStatus.GENERATING, JobStatus.REFUNDED, JobStatus.GENERATING]

    # Shard 3 of an earlier SHARD_COUNT=4 has no process now: shard 0's takes its jobs.
    await Recovery(None, credits, records, shards=shards(0)).before_connect()  # type: ignore[arg-type]
    assert [await status(j) for j in (on_0, on_1, on_3)] == [JobStatus.REFUNDED] * 3
    assert await credits.audit() == []




async def test_migrate_to_refuses_while_a_bot_runs_on_the_database(
    tmp_path: Path, pg_server: ThrowawayPostgres
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'fluxcord.db'}"
    target = pg_server.new_database()
    running = await open_store(sqlite_url)
    await running.set_meta("commands_hash", "abc")
    env = {**os.environ, "DATABASE_URL": sqlite_url, "DISCORD_TOKEN": "t"}
    try:
        async with hold_shards(running, ShardSet(), "the bot's database"):  # a bot running
            done = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "bot", "migrate-to", target],
                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    finally:
        await running.close()
    assert done.returncode == 1
    assert done.stdout.startswith(
        f"migrate-to: another fluxcord process already uses {tmp_path / 'fluxcord.db'}")
    copy = await open_store(target)
    try:
        assert await copy.read(lambda tx: tx.dump("meta")) == []  # nothing was copied
    finally:
        await copy.close()
