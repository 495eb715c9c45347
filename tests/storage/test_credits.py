"""Credit rules (SPEC section 3) on a real SQLite file, with a clock the tests move."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.credits import (
    Balance,
    BudgetExhausted,
    CreditDefaults,
    Credits,
    JobStatus,
    NewJob,
    OutOfCredits,
)
from bot.credits.records import JobRecords
from bot.credits.rows import UNFINISHED
from bot.guilds import Guilds
from bot.schema import MIGRATIONS
from bot.storage import SqliteStore, Store

if TYPE_CHECKING:
    from tests.conftest import FakeClock

GUILD, CHANNEL, ALICE, BOB, ADMIN = 10, 20, 1, 2, 99
HOUR = 3600


def job(cost: int, user: int = ALICE, guild: int = GUILD, **options: object) -> NewJob:
    return NewJob(guild_id=guild, channel_id=CHANNEL, user_id=user, model="flux-pro",
                  prompt="a red fox in snow", cost=cost, seed=7, options=options)


@pytest.fixture(autouse=True)
async def _ledger_adds_up(credits: Credits) -> AsyncIterator[None]:
    """Every scenario ends with a ledger that accounts for every balance."""
    yield
    assert await credits.audit() == []


async def test_a_new_member_has_the_full_allowance(credits: Credits, clock: FakeClock) -> None:
    assert await credits.balance(GUILD, ALICE) == Balance(
        allowance_total=50, allowance_left=50, bonus=0, period_hours=24,
        refills_at=int(clock()) + 24 * HOUR,
    )


async def test_reserve_charges_allowance_first_then_bonus(credits: Credits) -> None:
    await credits.grant(GUILD, ALICE, 10, "contest winner", ADMIN)
    first = await credits.reserve(job(45))
    assert (first.allowance_part, first.bonus_part) == (45, 0)
    second = await credits.reserve(job(8))
    assert (second.allowance_part, second.bonus_part) == (5, 3)
    balance = await credits.balance(GUILD, ALICE)
    assert (balance.allowance_left, balance.bonus, balance.total) == (0, 7, 7)

    rows = [(e.bucket, e.delta, e.job_id) for e in await credits.ledger(GUILD, ALICE)]
    assert rows == [
        ("bonus", 10, None),
        ("allowance", -45, first.id),
        ("allowance", -5, second.id),
        ("bonus", -3, second.id),
    ]


async def test_out_of_credits_says_cost_balance_and_refill_time(
    credits: Credits, clock: FakeClock, records: JobRecords) -> None:
    refill = int(clock()) + 24 * HOUR
    await credits.reserve(job(48))
    with pytest.raises(OutOfCredits) as refused:
        await credits.reserve(job(4))
    error = refused.value
    assert (error.cost, error.balance.total, error.refills_at) == (4, 2, refill)
    assert error.message == (
        f"This costs 4 credits; you have 2 credits. Your allowance refills <t:{refill}:R>."
    )
    # The refusal charged nothing and recorded no job.
    assert (await credits.balance(GUILD, ALICE)).total == 2
    assert len(await records.unfinished_jobs()) == 1


async def test_the_allowance_refills_when_the_members_period_ends(
    credits: Credits, clock: FakeClock
) -> None:
    clock.advance(5 * HOUR)  # the period starts at the first activity, not at midnight
    start = int(clock())
    await credits.reserve(job(50))
    clock.advance(24 * HOUR - 1)
    assert (await credits.balance(GUILD, ALICE)).allowance_left == 0
    clock.advance(1)
    balance = await credits.balance(GUILD, ALICE)
    assert balance.allowance_left == 50
    assert balance.refills_at == start + 48 * HOUR
    # Periods stay on the member's grid however long they were away.
    clock.advance(60 * HOUR)
    assert (await credits.balance(GUILD, ALICE)).refills_at == start + 96 * HOUR
    await credits.reserve(job(10))
    assert (await credits.balance(GUILD, ALICE)).allowance_left == 40


async def test_a_refund_after_the_period_rolled_over_creates_no_credit(
    credits: Credits, clock: FakeClock
) -> None:
    await credits.grant(GUILD, ALICE, 5, "thanks", ADMIN)
    old = await credits.reserve(job(53))  # 50 allowance + 3 bonus
    clock.advance(25 * HOUR)
    await credits.reserve(job(10))
    assert await credits.refund(old.id, "provider timed out")
    balance = await credits.balance(GUILD, ALICE)
    # The old period's allowance does not spill into the new period; bonus does come back.
    assert (balance.allowance_left, balance.bonus) == (40, 5)
    refund_rows = [e for e in await credits.ledger(GUILD, ALICE) if e.reason.startswith("refund")]
    assert {(e.bucket, e.delta, e.period_start) for e in refund_rows} == {
        ("allowance", 50, old.period_start), ("bonus", 3, None)
    }


async def test_refund_restores_balance_and_budget_exactly(
    credits: Credits, records: JobRecords,
) -> None:
    await credits.grant(GUILD, ALICE, 3, "gift", ADMIN)
    before = await credits.balance(GUILD, ALICE)
    budget_before = await credits.budget_left(GUILD)
    reserved = await credits.reserve(job(52))
    assert await credits.budget_left(GUILD) == budget_before - 52
    await records.mark(reserved.id, "generating", provider="onemin")
    assert await credits.refund(reserved.id, "the provider refused the prompt")
    assert await credits.balance(GUILD, ALICE) == before
    assert await credits.budget_left(GUILD) == budget_before
    refunded = await records.get_job(reserved.id)
    assert refunded is not None
    assert refunded.status is JobStatus.REFUNDED
    assert refunded.error == "the provider refused the prompt"
    assert refunded.provider == "onemin"


async def test_settle_and_refund_happen_once_and_exclude_each_other(
    credits: Credits, records: JobRecords,
) -> None:
    settled = await credits.reserve(job(5))
    refunded = await credits.reserve(job(5))
    assert await credits.settle(settled.id, message_id=555)
    assert await credits.refund(refunded.id, "timeout")
    balance = await credits.balance(GUILD, ALICE)

    assert not await credits.settle(settled.id, message_id=556)
    assert not await credits.refund(settled.id, "late failure")
    assert not await credits.refund(refunded.id, "timeout again")
    assert not await credits.settle(refunded.id, message_id=557)
    assert not await credits.refund("no-such-job", "x")
    assert not await records.mark(settled.id, "posting")

    assert await credits.balance(GUILD, ALICE) == balance
    stored = await records.get_job(settled.id)
    assert stored is not None and (stored.status, stored.message_id) == ("settled", 555)


async def test_progress_is_recorded_and_unfinished_jobs_are_found(
    credits: Credits, records: JobRecords,
) -> None:
    queued = await credits.reserve(job(1))
    generating = await credits.reserve(job(1))
    posting = await credits.reserve(job(1))
    done = await credits.reserve(job(1))
    assert await records.mark(generating.id, JobStatus.GENERATING, provider="apiframe")
    assert await records.mark(posting.id, "generating", provider="segmind")
    assert await records.mark(posting.id, "posting")
    await credits.settle(done.id, message_id=1)

    unfinished = await records.unfinished_jobs()
    assert [(j.id, j.status, j.provider) for j in unfinished] == [
        (queued.id, "queued", None),
        (generating.id, "generating", "apiframe"),
        (posting.id, "posting", "segmind"),
    ]
    with pytest.raises(ValueError):
        await records.mark(queued.id, "settled")


async def test_a_job_keeps_what_was_asked(credits: Credits, records: JobRecords) -> None:
    reserved = await credits.reserve(job(3, steps=28, aspect_ratio="16:9", go_fast=True))
    stored = await records.get_job(reserved.id)
    assert stored == reserved
    assert stored is not None
    assert stored.options == {"steps": 28, "aspect_ratio": "16:9", "go_fast": True}
    assert (stored.prompt, stored.seed, stored.model) == ("a red fox in snow", 7, "flux-pro")
    assert await records.get_job("unknown") is None


async def test_a_negative_grant_stops_at_zero_and_records_the_real_change(
    credits: Credits,
) -> None:
    assert (await credits.grant(GUILD, BOB, 5, "welcome", ADMIN)).bonus == 5
    balance = await credits.grant(GUILD, BOB, -20, "abuse", ADMIN)
    assert balance.bonus == 0
    assert balance.allowance_left == 50  # a removal never touches the allowance
    rows = [(e.delta, e.reason, e.actor_id) for e in await credits.ledger(GUILD, BOB)]
    assert rows == [(5, "welcome", ADMIN), (-5, "abuse", ADMIN)]


async def test_admins_change_the_allowance_and_its_period(
    credits: Credits, clock: FakeClock, guilds: Guilds) -> None:
    start = int(clock())
    await credits.reserve(job(30))
    config = await guilds.set_allowance(GUILD, 10)
    assert (config.allowance, config.period_hours) == (10, 24)
    balance = await credits.balance(GUILD, ALICE)
    assert (balance.allowance_total, balance.allowance_left) == (10, 0)  # never negative
    with pytest.raises(OutOfCredits):
        await credits.reserve(job(1))

    await guilds.set_allowance(GUILD, 100, period_hours=6)
    balance = await credits.balance(GUILD, ALICE)
    assert (balance.allowance_left, balance.period_hours) == (70, 6)
    assert balance.refills_at == start + 6 * HOUR
    clock.advance(6 * HOUR)
    assert (await credits.balance(GUILD, ALICE)).allowance_left == 100
    # Other servers keep the operator's default.
    assert (await credits.balance(GUILD + 1, ALICE)).allowance_total == 50

    await guilds.set_allowance(GUILD, None)
    assert (await guilds.guild_config(GUILD)).allowance == 50
    with pytest.raises(ValueError):
        await guilds.set_allowance(GUILD, -1)
    with pytest.raises(ValueError):
        await guilds.set_allowance(GUILD, 10, period_hours=0)


async def test_a_server_without_allowance_says_so(credits: Credits, guilds: Guilds) -> None:
    await guilds.set_allowance(GUILD, 0)
    with pytest.raises(OutOfCredits) as refused:
        await credits.reserve(job(1))
    assert "no allowance" in refused.value.message


async def test_the_daily_budget_is_per_server_and_resets_at_utc_midnight(
    credits: Credits, clock: FakeClock, guilds: Guilds) -> None:
    await guilds.set_budget(GUILD, 12)
    await credits.reserve(job(10, user=ALICE))
    with pytest.raises(BudgetExhausted) as refused:
        await credits.reserve(job(4, user=BOB))
    error = refused.value
    midnight = int(clock()) + 12 * HOUR  # the test clock starts at noon UTC
    assert (error.cost, error.budget, error.left, error.resets_at) == (4, 12, 2, midnight)
    assert f"<t:{midnight}:R>" in error.message and "daily budget" in error.message
    assert (await credits.balance(GUILD, BOB)).total == 50  # nothing was charged
    await credits.reserve(job(2, user=BOB))
    with pytest.raises(BudgetExhausted, match="spent"):
        await credits.reserve(job(1, user=BOB))
    assert await credits.budget_left(GUILD + 1) == 2000  # another server's budget is its own

    clock.advance(12 * HOUR)  # the next UTC day
    assert await credits.budget_left(GUILD) == 12
    await credits.reserve(job(4, user=BOB))

    await guilds.set_budget(GUILD, 0)  # an admin stops all spending
    with pytest.raises(BudgetExhausted):
        await credits.reserve(job(1, user=BOB))


async def test_a_refund_gives_the_budget_back_to_the_day_it_was_spent(
    credits: Credits, clock: FakeClock, guilds: Guilds) -> None:
    await guilds.set_budget(GUILD, 10)
    yesterday = await credits.reserve(job(10))
    clock.advance(12 * HOUR)
    today = await credits.reserve(job(10))
    assert await credits.refund(yesterday.id, "crashed")
    assert await credits.budget_left(GUILD) == 0  # today's spend is untouched
    assert await credits.refund(today.id, "crashed")
    assert await credits.budget_left(GUILD) == 10


async def test_direct_messages_use_the_operators_defaults(db: Store, clock: FakeClock) -> None:
    credits = Credits(db, CreditDefaults(allowance=5, period_hours=12, daily_budget=7), clock)
    balance = await credits.balance(0, ALICE)
    assert (balance.allowance_total, balance.period_hours) == (5, 12)
    await credits.reserve(job(5, guild=0))
    with pytest.raises(BudgetExhausted):
        await credits.reserve(job(3, guild=0, user=BOB))


async def test_server_settings_round_trip(credits: Credits, guilds: Guilds) -> None:
    config = await guilds.guild_config(GUILD)
    assert (config.allowance, config.daily_budget, config.safety_cap) == (50, 2000, 2)
    assert config.default_model == "flux-1.1-pro"
    assert (await guilds.set_default_model(GUILD, "flux-dev")).default_model == "flux-dev"
    assert (await guilds.set_default_model(GUILD, None)).default_model == "flux-1.1-pro"

    await guilds.set_safety_cap(GUILD, 4)
    await guilds.set_safety_cap(GUILD, 1, channel_id=300)
    await guilds.set_safety_cap(GUILD, 6, channel_id=301)
    assert await guilds.safety_caps(GUILD) == (4, {300: 1, 301: 6})
    await guilds.set_safety_cap(GUILD, None, channel_id=301)
    await guilds.set_safety_cap(GUILD, None)
    assert await guilds.safety_caps(GUILD) == (2, {300: 1})
    assert await guilds.safety_caps(GUILD + 1) == (2, {})
    with pytest.raises(ValueError):
        await guilds.set_safety_cap(GUILD, 7)


async def test_a_cancelled_reservation_is_never_charged(
    credits: Credits, records: JobRecords,
) -> None:
    for _ in range(5):
        task = asyncio.ensure_future(credits.reserve(job(5)))
        await asyncio.sleep(0)  # submitted to the database thread...
        task.cancel()  # ...and its caller gives up
        with pytest.raises(asyncio.CancelledError):
            await task
    assert (await credits.balance(GUILD, ALICE)).total == 50
    assert await records.unfinished_jobs() == []


# -- property: any sequence of operations keeps the ledger exact ------------------------


@dataclass(frozen=True)
class Op:
    kind: str
    user: int = ALICE
    amount: int = 0
    pick: int = 0


ops = st.one_of(
    st.builds(Op, kind=st.just("reserve"), user=st.sampled_from([ALICE, BOB]),
              amount=st.integers(0, 30)),
    st.builds(Op, kind=st.sampled_from(["settle", "refund", "mark"]), pick=st.integers(0, 50)),
    st.builds(Op, kind=st.just("grant"), user=st.sampled_from([ALICE, BOB]),
              amount=st.integers(-40, 40)),
    st.builds(Op, kind=st.just("advance"), amount=st.sampled_from([60, 3 * HOUR, 13 * HOUR])),
    st.builds(Op, kind=st.just("allowance"), amount=st.integers(0, 60)),
)


async def _play(path: Path, program: list[Op], clock: FakeClock) -> None:
    db = await SqliteStore.open(path, migrations=MIGRATIONS)
    defaults = CreditDefaults(allowance=40, period_hours=6, daily_budget=150)
    credits = Credits(db, defaults, clock)
    guilds, records = Guilds(db, defaults), JobRecords(db, clock)
    jobs: list[str] = []
    try:
        for op in program:
            who = op.user
            before = await credits.balance(GUILD, who)
            if op.kind == "reserve":
                budget = await credits.budget_left(GUILD)
                try:
                    reserved = await credits.reserve(job(op.amount, user=who))
                except OutOfCredits:
                    assert before.total < op.amount
                except BudgetExhausted:
                    assert before.total >= op.amount > budget
                else:
                    assert before.total >= op.amount and budget >= op.amount
                    jobs.append(reserved.id)
                    after = await credits.balance(GUILD, who)
                    assert after.total == before.total - op.amount
                    assert after.allowance_left == before.allowance_left - reserved.allowance_part
            elif op.kind in ("settle", "refund", "mark") and jobs:
                target = await records.get_job(jobs[op.pick % len(jobs)])
                assert target is not None
                who = target.user_id
                before = await credits.balance(GUILD, who)
                if op.kind == "settle":
                    assert await credits.settle(target.id, 1) == (target.status in UNFINISHED)
                    assert await credits.balance(GUILD, who) == before
                elif op.kind == "mark":
                    assert await records.mark(target.id, "posting") == (target.status in UNFINISHED)
                else:
                    refunded = await credits.refund(target.id, "failed")
                    assert refunded == (target.status in UNFINISHED)
                    after = await credits.balance(GUILD, who)
                    gained = target.bonus_part if refunded else 0
                    assert after.bonus == before.bonus + gained
                    same_period = before.refills_at == target.period_start + 6 * HOUR
                    if refunded and same_period and before.allowance_left > 0:
                        assert after.allowance_left == before.allowance_left + target.allowance_part
                    elif refunded and same_period:
                        # The admin lowered the allowance below what was spent: the refund
                        # lowers the overspend, which may or may not show.
                        assert 0 <= after.allowance_left <= target.allowance_part
                    else:
                        assert after.allowance_left == before.allowance_left
            elif op.kind == "grant":
                after = await credits.grant(GUILD, who, op.amount, "prop", ADMIN)
                assert after.bonus == max(0, before.bonus + op.amount)
            elif op.kind == "advance":
                clock.advance(op.amount)
            elif op.kind == "allowance":
                await guilds.set_allowance(GUILD, op.amount)

            for member in (ALICE, BOB):
                balance = await credits.balance(GUILD, member)
                assert 0 <= balance.allowance_left <= balance.allowance_total
                assert 0 <= balance.bonus
                assert balance.total == balance.allowance_left + balance.bonus
            assert await credits.budget_left(GUILD) >= 0
        assert await credits.audit() == []
    finally:
        await db.close()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=st.lists(ops, max_size=40))
def test_any_sequence_of_operations_keeps_the_ledger_exact(
    program: list[Op], make_clock: type[FakeClock]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_play(Path(folder) / "fluxcord.db", program, make_clock()))
