"""The providers' slots on PostgreSQL (bot/fleet/leases.py), between two processes' worth
of stores and routers on one real database: a process never takes more slots than the
limit leaves it, even with its own calls racing, and a 429 met by one router holds the
provider back in the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.fleet.leases import FleetLeases
from bot.providers import build_router
from bot.providers.base import GenerationRequest
from bot.providers.http import ProviderTiming, RetryPolicy
from bot.providers.router import Router
from bot.schema import open_store
from bot.settings import Settings
from bot.storage.postgres import PostgresStore
from tests.support.postgres import ThrowawayPostgres
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def two_processes(pg_server: ThrowawayPostgres) -> AsyncIterator[list[FleetLeases]]:
    """Two stores on one database, each with the slots' own connection."""
    url = pg_server.new_database()
    stores = [await open_store(url), await open_store(url)]
    opened: list[tuple[FleetLeases, Any]] = []
    try:
        for store in stores:
            assert isinstance(store, PostgresStore)
            locks = await store.session_locks()
            opened.append((await FleetLeases.open(locks), locks))
        yield [leases for leases, _ in opened]
    finally:
        for leases, locks in opened:
            await leases.close()
            await locks.close()
        for store in stores:
            await store.close()


async def test_racing_calls_of_two_processes_never_exceed_the_limit(
    two_processes: list[FleetLeases],
) -> None:
    limit = 3
    holding = 0
    most = 0

    async def call(leases: FleetLeases) -> None:
        nonlocal holding, most
        async with leases.hold("bfl", limit):
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.02)
            holding -= 1

    async with asyncio.timeout(30):  # a slot taken for good would leave calls waiting
        await asyncio.gather(*(call(two_processes[n % 2]) for n in range(24)))
    assert most == limit


async def test_a_429_in_one_process_holds_the_provider_back_in_the_other(
    two_processes: list[FleetLeases], provider_standins: ProviderStandIns,
    provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: Callable[..., GenerationRequest],
) -> None:
    settings = Settings.model_validate({"DISCORD_TOKEN": "discord-token",
                                        **provider_standins.settings_env()})
    policy = RetryPolicy(attempts=2, base_delay=0.01, retry_after_cap=1.5)
    routers: list[Router] = []
    for leases in two_processes:
        router = build_router(settings, provider_http, timing=fast_timing, policy=policy)
        leases.share(router)
        routers.append(router)
    met, other = routers

    def onemin_cooling(router: Router) -> bool:
        return {s.provider: s for s in router.status()}["onemin"].cooling_down

    provider_standins.onemin.inject("rate_limit", retry_after="30")  # capped at 1.5 s
    slowed = asyncio.create_task(met.generate(make_request("flux-dev", router=met)))
    for _ in range(100):
        if onemin_cooling(other):
            break
        await asyncio.sleep(0.01)
    assert onemin_cooling(other) and not slowed.done()
    assert not {s.provider: s for s in other.status()}["apiframe"].cooling_down
    assert (await slowed).provider == "onemin"
