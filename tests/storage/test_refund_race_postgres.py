"""Refunds of one job by two processes at once, on PostgreSQL, where a transaction reads
what others committed while it waited for a lock."""

from __future__ import annotations

import asyncio

import asyncpg

from bot.credits import CreditDefaults, Credits
from bot.schema import open_store
from bot.storage.postgres_tx import LOCK_GUILD, lock_key
from tests.storage.test_partial_refund import ALICE, GUILD, job
from tests.support.postgres import ThrowawayPostgres


async def test_a_full_refund_racing_a_partial_one_gives_back_only_what_is_left(
    pg_server: ThrowawayPostgres,
) -> None:
    # Two processes on one PostgreSQL database: a partial refund commits while the full
    # refund of the same job waits for the server's lock, having read the job before it.
    url = pg_server.new_database()
    store = await open_store(url)
    holder = await asyncpg.connect(url)
    try:
        credits = Credits(store, CreditDefaults())
        before = (await credits.balance(GUILD, ALICE)).total
        reserved = await credits.reserve(job(12))
        held = holder.transaction()
        await held.start()
        await holder.execute("SELECT pg_advisory_xact_lock($1, $2)", LOCK_GUILD,
                             lock_key(GUILD))
        part = asyncio.create_task(credits.refund_part(reserved.id, 4, "1 of 3 failed"))
        await asyncio.sleep(0.3)
        full = asyncio.create_task(credits.refund(reserved.id, "upload refused"))
        await asyncio.sleep(0.3)
        await held.commit()
        assert await part and await full
        assert (await credits.balance(GUILD, ALICE)).total == before
        rows = [(e.delta, e.reason) for e in await credits.ledger(GUILD, ALICE)]
        assert rows == [(-12, "reserve"), (4, "partial refund: 1 of 3 failed"),
                        (8, "refund: upload refused")]
        assert await credits.audit() == []
    finally:
        await holder.close()
        await store.close()
