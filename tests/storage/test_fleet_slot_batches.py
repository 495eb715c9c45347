"""The providers' slots on PostgreSQL (bot/fleet/leases.py): a burst of calls in one
process takes and gives back its slots in a few statements on the slots' connection, not
two per call, and still never holds more than the limit nor keeps a slot for good."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.fleet.leases import FleetLeases
from bot.schema import open_store
from bot.storage.postgres import PostgresStore, SessionLocks
from tests.support.postgres import ThrowawayPostgres

pytestmark = pytest.mark.asyncio


class CountedConnection:
    """The slots' real connection, counting the statements run on it."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.statements = 0

    async def execute(self, *args: Any) -> Any:
        self.statements += 1
        return await self._conn.execute(*args)

    async def fetch(self, *args: Any) -> Any:
        self.statements += 1
        return await self._conn.fetch(*args)

    async def fetchval(self, *args: Any) -> Any:
        self.statements += 1
        return await self._conn.fetchval(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.fixture
async def slots(pg_server: ThrowawayPostgres
                ) -> AsyncIterator[tuple[FleetLeases, SessionLocks, CountedConnection]]:
    store = await open_store(pg_server.new_database())
    assert isinstance(store, PostgresStore)
    locks = await store.session_locks()
    leases = await FleetLeases.open(locks)
    counted = CountedConnection(locks._conn)
    locks._conn = counted
    try:
        yield leases, locks, counted
    finally:
        locks._conn = counted._conn  # the pool takes back its own connection
        await leases.close()
        await locks.close()
        await store.close()


async def test_a_burst_of_calls_shares_its_statements_and_gives_every_slot_back(
    slots: tuple[FleetLeases, SessionLocks, CountedConnection],
) -> None:
    leases, locks, counted = slots
    calls, limit = 40, 10
    holding = most = 0

    async def call() -> None:
        nonlocal holding, most
        async with leases.hold("apiframe", limit):
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.01)
            holding -= 1

    async with asyncio.timeout(30):  # a slot kept for good would leave calls waiting
        await asyncio.gather(*(call() for _ in range(calls)))
    assert most == limit
    # A take and a give-back per call would be 80 statements.
    assert counted.statements < calls
    # Every slot was given back: all of them are free for another session.
    store_conn = locks._conn
    assert await store_conn.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") == 0
