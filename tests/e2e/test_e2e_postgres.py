"""The whole bot on PostgreSQL: the real discord.py client, the stand-ins and a real
PostgreSQL server, from /imagine to the ledger, through a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.e2e_fixtures import World, make_world, results, settled
from tests.support.postgres import ThrowawayPostgres
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns


@pytest.fixture
async def pg_world(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns,
    pg_server: ThrowawayPostgres,
) -> AsyncIterator[World]:
    url = pg_server.new_database()
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  DATABASE_URL=url):
        yield world


async def test_imagine_charges_and_posts_on_postgresql(pg_world: World) -> None:
    world = pg_world
    services = world.runner.services
    assert services is not None and services.store.engine == "postgresql"
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                            prompt="a lighthouse at dusk", model="flux-dev"))
    assert len(results(world.general)) == 1
    balance = await services.credits.balance(world.guild.id, world.alice.id)
    assert balance.total < 50  # charged, on PostgreSQL

    await world.runner.restart()  # the data outlives the process
    services = world.runner.services
    assert services is not None
    assert await services.credits.balance(world.guild.id, world.alice.id) == balance
    assert await services.records.unfinished_jobs() == []
