"""Many reservations at once never overspend a balance or a server's daily budget."""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from bot.credits import BudgetExhausted, CreditDefaults, Credits, Job, NewJob, OutOfCredits
from bot.credits.records import JobRecords
from bot.guilds import Guilds
from bot.schema import open_store

if TYPE_CHECKING:
    from tests.conftest import FakeClock

GUILD, ALICE, ADMIN = 10, 1, 99


def job(cost: int, user: int = ALICE) -> NewJob:
    return NewJob(guild_id=GUILD, channel_id=20, user_id=user, model="flux-dev",
                  prompt="moodboard: brutalist stairwells", cost=cost, seed=1)


async def _race(credits: Credits, jobs: list[NewJob]) -> list[Job | BaseException]:
    return await asyncio.gather(*(credits.reserve(j) for j in jobs), return_exceptions=True)


async def test_fifty_requests_racing_for_seven_credits(credits: Credits, guilds: Guilds) -> None:
    # 5 allowance + 2 bonus: the race crosses from one bucket to the other.
    await guilds.set_allowance(GUILD, 5)
    await credits.grant(GUILD, ALICE, 2, "event prize", ADMIN)
    results = await _race(credits, [job(1) for _ in range(50)])

    won = [r for r in results if isinstance(r, Job)]
    lost = [r for r in results if isinstance(r, OutOfCredits)]
    assert (len(won), len(lost)) == (7, 43)
    assert sum(j.allowance_part for j in won) == 5
    assert sum(j.bonus_part for j in won) == 2
    assert (await credits.balance(GUILD, ALICE)).total == 0
    assert all(error.balance.total == 0 for error in lost)
    assert await credits.audit() == []


async def test_mixed_costs_never_overspend(credits: Credits) -> None:
    costs = [random.Random(n).choice([1, 3, 4, 6]) for n in range(40)]
    results = await _race(credits, [job(c) for c in costs])
    spent = sum(r.cost for r in results if isinstance(r, Job))
    assert spent <= 50
    refused = [c for c, r in zip(costs, results, strict=True) if isinstance(r, OutOfCredits)]
    # Each refusal was right when it was made: what was left could not pay for it.
    assert all(50 - spent < c for c in refused)
    assert (await credits.balance(GUILD, ALICE)).total == 50 - spent
    assert await credits.audit() == []


async def test_two_stores_on_one_database_cannot_overspend(
    store_url: str, clock: FakeClock
) -> None:
    # As if a second process (an admin script, a second bot) wrote to the same database.
    first, second = await open_store(store_url), await open_store(store_url)
    try:
        defaults = CreditDefaults(allowance=7)
        a, b = Credits(first, defaults, clock), Credits(second, defaults, clock)
        results = await asyncio.gather(
            *(side.reserve(job(1)) for _ in range(25) for side in (a, b)),
            return_exceptions=True,
        )
        assert sum(isinstance(r, Job) for r in results) == 7
        assert sum(isinstance(r, OutOfCredits) for r in results) == 43
        assert (await b.balance(GUILD, ALICE)).total == 0
        assert await a.audit() == []
    finally:
        await first.close()
        await second.close()


async def test_the_server_budget_runs_out_mid_burst(credits: Credits, guilds: Guilds) -> None:
    await guilds.set_budget(GUILD, 20)
    members = range(100, 112)
    burst = [job(3, user=m) for _ in range(4) for m in members]  # 48 requests, 12 members
    results = await _race(credits, burst)

    won = [r for r in results if isinstance(r, Job)]
    assert len(won) == 6  # 6 x 3 = 18 <= 20 < 21
    assert all(isinstance(r, BudgetExhausted) for r in results if not isinstance(r, Job))
    assert await credits.budget_left(GUILD) == 2
    # Members were charged only for what ran.
    for member in members:
        charged = sum(j.cost for j in won if j.user_id == member)
        assert (await credits.balance(GUILD, member)).total == 50 - charged

    # A failure gives budget back, and the next request can use it.
    assert await credits.refund(won[0].id, "provider unavailable")
    assert await credits.budget_left(GUILD) == 5
    await credits.reserve(job(5, user=200))
    assert await credits.budget_left(GUILD) == 0
    assert await credits.audit() == []


async def test_a_busy_server_keeps_an_exact_ledger(
    credits: Credits, clock: FakeClock, records: JobRecords,
) -> None:
    """Members reserving, settling and refunding at once while admins grant."""
    rng = random.Random(7)

    async def member_session(user: int) -> None:
        for _ in range(15):
            try:
                reserved = await credits.reserve(job(rng.choice([1, 2, 5]), user=user))
            except OutOfCredits:
                continue
            await records.mark(reserved.id, "generating", provider="onemin")
            await asyncio.sleep(0)
            if rng.random() < 0.3:
                assert await credits.refund(reserved.id, "timeout")
            else:
                await records.mark(reserved.id, "posting")
                assert await credits.settle(reserved.id, message_id=rng.randrange(10**9))

    async def admin() -> None:
        for n in range(20):
            await credits.grant(GUILD, 300 + n % 5, rng.randint(-5, 10), "adjust", ADMIN)
            await asyncio.sleep(0)

    await asyncio.gather(admin(), *(member_session(300 + n) for n in range(10)))
    clock.advance(30 * 3600)
    await asyncio.gather(*(member_session(300 + n) for n in range(10)))
    assert await records.unfinished_jobs() == []
    assert await credits.audit() == []


async def test_settle_and_refund_from_two_stores_happen_exactly_once(
    store_url: str, clock: FakeClock
) -> None:
    # A restarted process refunding what another one is settling at the same moment.
    first, second = await open_store(store_url), await open_store(store_url)
    try:
        defaults = CreditDefaults(allowance=100)
        a, b = Credits(first, defaults, clock), Credits(second, defaults, clock)
        jobs = [await a.reserve(job(2)) for _ in range(30)]
        outcomes = await asyncio.gather(*(
            call for j in jobs for call in (a.settle(j.id, 1), b.refund(j.id, "restart"))
        ))
        assert all(settled != refunded for settled, refunded in zip(
            outcomes[::2], outcomes[1::2], strict=True))
        refunds = sum(outcomes[1::2])
        assert (await b.balance(GUILD, ALICE)).total == 100 - 2 * (30 - refunds)
        assert await a.audit() == []
    finally:
        await first.close()
        await second.close()
