"""A partial refund (a job of several images, some of which failed) on every engine."""

from __future__ import annotations

import pytest

from bot.credits import Credits, NewJob
from bot.credits.records import JobRecords

GUILD, CHANNEL, ALICE, ADMIN = 10, 20, 1, 99


def job(cost: int) -> NewJob:
    return NewJob(guild_id=GUILD, channel_id=CHANNEL, user_id=ALICE, model="flux-pro",
                  prompt="three foxes", cost=cost, seed=7, options={"count": 3})


@pytest.fixture(autouse=True)
async def _ledger_adds_up(credits: Credits):  # type: ignore[no-untyped-def]
    yield
    assert await credits.audit() == []


async def test_a_partial_refund_gives_back_that_part_then_settles_the_rest(
    credits: Credits, records: JobRecords,
) -> None:
    budget = await credits.budget_left(GUILD)
    reserved = await credits.reserve(job(15))
    assert await credits.refund_part(reserved.id, 5, "onemin: ServerError")
    assert (await credits.balance(GUILD, ALICE)).total == 40
    assert await credits.budget_left(GUILD) == budget - 10
    assert await credits.settle(reserved.id, message_id=1)
    stored = await records.get_job(reserved.id)
    assert stored is not None and stored.cost == 10
    rows = [(e.delta, e.reason) for e in await credits.ledger(GUILD, ALICE)]
    assert rows == [(-15, "reserve"), (5, "partial refund: onemin: ServerError")]


async def test_bonus_comes_back_first_and_a_later_full_refund_returns_the_rest(
    credits: Credits,
) -> None:
    await credits.grant(GUILD, ALICE, 5, "gift", ADMIN)
    reserved = await credits.reserve(job(54))  # 50 allowance, 4 bonus
    assert await credits.refund_part(reserved.id, 18, "two images failed")
    balance = await credits.balance(GUILD, ALICE)
    assert (balance.allowance_left, balance.bonus) == (14, 5)
    assert await credits.refund(reserved.id, "the upload was refused")
    balance = await credits.balance(GUILD, ALICE)
    assert (balance.allowance_left, balance.bonus) == (50, 5)


async def test_a_partial_refund_never_empties_or_outlives_a_job(credits: Credits) -> None:
    reserved = await credits.reserve(job(15))
    assert not await credits.refund_part(reserved.id, 15, "all of it")  # that is `refund`
    assert not await credits.refund_part(reserved.id, 0, "nothing")
    assert await credits.settle(reserved.id, message_id=1)
    assert not await credits.refund_part(reserved.id, 5, "too late")
    assert not await credits.refund_part("no-such-job", 5, "unknown")
    assert (await credits.balance(GUILD, ALICE)).total == 35
