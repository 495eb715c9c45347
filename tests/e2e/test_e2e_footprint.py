"""The database does not grow with the images (SPEC section 12): jobs whose provider
images are 1 KB and jobs whose images are 1 MB make it grow alike, on SQLite (its file
with the write-ahead log) and on PostgreSQL (pg_database_size)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from tests.support.e2e_fixtures import World, make_world, private_text, results, settled
from tests.support.postgres import ThrowawayPostgres
from tests.support.standins.discord_api import DiscordStandIn, Perm
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio

JOBS = 4
SMALL, LARGE = 1_000, 1_000_000
# The most a settled job may add to the database (the benchmark measures it too).
PER_JOB = 16 * 1024

Size = Callable[[], Awaitable[int]]


@pytest.fixture(params=["sqlite", "postgresql"])
async def sized_world(request: pytest.FixtureRequest, tmp_path: Path,
                      discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
                      ) -> AsyncIterator[tuple[World, Size]]:
    """A world and how many bytes its database takes now."""
    if request.param == "sqlite":
        path = tmp_path / "fluxcord.db"

        async def sqlite_size() -> int:
            # The WAL's frames moved into the file first: the WAL is scratch space that
            # is reused, not growth, and its size jumps with when SQLite last checkpointed.
            conn = sqlite3.connect(path, timeout=10)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
            wal = path.with_name(path.name + "-wal")
            return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)

        async for world in make_world(tmp_path, discord_standin, provider_standins,
                                      DEFAULT_ALLOWANCE=500):
            yield world, sqlite_size
        return
    server: ThrowawayPostgres = request.getfixturevalue("pg_server")
    url = server.new_database()

    async def postgres_size() -> int:
        conn = await asyncpg.connect(url)
        try:
            return int(await conn.fetchval("SELECT pg_database_size(current_database())"))
        finally:
            await conn.close()

    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  DEFAULT_ALLOWANCE=500, DATABASE_URL=url):
        yield world, postgres_size


async def _growth(world: World, size: Size, image_bytes: int, tag: str) -> int:
    """How many bytes JOBS settled jobs with provider images of `image_bytes` add."""
    for standin in world.providers.all:
        standin.image_bytes = image_bytes
    before = await size()
    for n in range(JOBS):
        ix = await settled(await world.discord.slash(
            world.general, world.alice, "imagine", prompt=f"{tag} {n}", model="flux-dev"))
        assert str(ix.original.content).startswith("Done"), private_text(ix)
    return await size() - before


async def test_the_database_does_not_grow_with_the_images(
    sized_world: tuple[World, Size],
) -> None:
    world, size = sized_world
    curator = world.discord.add_user("curator", permissions=Perm.MANAGE_CHANNELS)
    # A server with a board: where results' files used to be kept for Add to board.
    ix = await settled(await world.discord.slash(world.general, curator, "board", "create",
                                                 name="Mood"))
    assert "is ready" in private_text(ix), private_text(ix)
    await _growth(world, size, SMALL, "warm-up")  # first pages, first WAL frames

    small = await _growth(world, size, SMALL, "small")
    large = await _growth(world, size, LARGE, "large")

    posted = results(world.general)[-JOBS:]
    assert all(m.attachments[0].size > LARGE // 2 for m in posted)  # the images were large
    assert large - small < JOBS * PER_JOB, (small, large)
    assert large < JOBS * PER_JOB, (small, large)
