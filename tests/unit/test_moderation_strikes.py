"""The strike rules (bot/moderation/strikes.py): cooldowns, pardons, blocks and the appeals
counter, with exact times instead of a clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.moderation import (
    Block,
    Blocked,
    CoolingDown,
    MemberRecord,
    Policy,
    Strike,
    appeal_allowance,
    cooldown_until,
    standing,
)
from bot.moderation.strikes import Allowed, recent_strikes
from bot.settings import Settings

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
POLICY = Policy()  # 3 strikes in 24 h, 60 minutes, 3 appeals a day
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def strikes(*offsets: timedelta) -> tuple[Strike, ...]:
    return tuple(Strike(T0 + o, "blocklist", "bad", prompt="a bad prompt") for o in offsets)


def record(*offsets: timedelta, **fields: object) -> MemberRecord:
    return MemberRecord(strikes=strikes(*offsets), **fields)  # type: ignore[arg-type]


def test_the_policy_follows_the_operators_settings_and_their_defaults() -> None:
    defaults = Settings(_env_file=None, DISCORD_TOKEN="t")  # type: ignore[call-arg]
    assert Policy.from_settings(defaults) == Policy(3, timedelta(minutes=60), 3)
    custom = Settings(_env_file=None, DISCORD_TOKEN="t",  # type: ignore[call-arg]
                      STRIKES_BEFORE_COOLDOWN=5, STRIKE_COOLDOWN_MINUTES=10, APPEALS_PER_DAY=0)
    assert Policy.from_settings(custom) == Policy(5, timedelta(minutes=10), 0)


def test_fewer_strikes_than_the_limit_leave_the_member_free() -> None:
    assert standing(record(0 * HOUR, 1 * HOUR), T0 + 2 * HOUR, POLICY) == Allowed()
    assert standing(MemberRecord(), T0, POLICY) == Allowed()


def test_the_third_strike_within_24_hours_starts_a_cooldown_from_that_strike() -> None:
    member = record(0 * HOUR, 5 * HOUR, 23 * HOUR)
    until = T0 + 23 * HOUR + 60 * MINUTE
    assert cooldown_until(member, POLICY) == until
    assert standing(member, T0 + 23 * HOUR, POLICY) == CoolingDown(until, 3)
    assert standing(member, until - MINUTE, POLICY) == CoolingDown(until, 3)
    assert standing(member, until, POLICY) == Allowed()


def test_strikes_further_apart_than_24_hours_do_not_add_up() -> None:
    member = record(0 * HOUR, 12 * HOUR, 24 * HOUR, 36 * HOUR)
    assert cooldown_until(member, POLICY) is None
    assert standing(member, T0 + 36 * HOUR, POLICY) == Allowed()


def test_strikes_that_started_a_cooldown_are_spent() -> None:
    first = (0 * MINUTE, 1 * MINUTE, 2 * MINUTE)
    # Two more after the cooldown: not enough for another.
    member = record(*first, 3 * HOUR, 4 * HOUR)
    assert standing(member, T0 + 4 * HOUR, POLICY) == Allowed()
    # A third new one is.
    member = record(*first, 3 * HOUR, 4 * HOUR, 5 * HOUR)
    assert standing(member, T0 + 5 * HOUR, POLICY) == CoolingDown(T0 + 6 * HOUR, 6)


def test_strikes_arrive_in_any_order() -> None:
    member = record(2 * HOUR, 0 * HOUR, 1 * HOUR)
    assert cooldown_until(member, POLICY) == T0 + 3 * HOUR


def test_a_pardon_clears_the_strikes_before_it_and_their_cooldown() -> None:
    offsets = (0 * MINUTE, 1 * MINUTE, 2 * MINUTE)
    pardoned = record(*offsets, pardoned_at=T0 + 10 * MINUTE)
    assert standing(pardoned, T0 + 11 * MINUTE, POLICY) == Allowed()
    assert recent_strikes(pardoned, T0 + 11 * MINUTE, POLICY) == []
    # Strikes after the pardon count from zero.
    later = record(*offsets, 20 * MINUTE, 21 * MINUTE, pardoned_at=T0 + 10 * MINUTE)
    assert standing(later, T0 + 22 * MINUTE, POLICY) == Allowed()
    again = record(*offsets, 20 * MINUTE, 21 * MINUTE, 22 * MINUTE,
                   pardoned_at=T0 + 10 * MINUTE)
    assert standing(again, T0 + 22 * MINUTE, POLICY) == CoolingDown(T0 + 82 * MINUTE, 3)


def test_an_approved_appeal_removes_its_strike_and_so_the_cooldown() -> None:
    member = record(0 * MINUTE, 1 * MINUTE, 2 * MINUTE)
    assert isinstance(standing(member, T0 + 3 * MINUTE, POLICY), CoolingDown)
    # Storage deletes the appealed strike's row; the same rule then finds two.
    appealed = MemberRecord(strikes=member.strikes[:2])
    assert standing(appealed, T0 + 3 * MINUTE, POLICY) == Allowed()


def test_a_block_stops_the_member_with_its_reason_whatever_the_strikes() -> None:
    blocked = MemberRecord(block=Block(T0, "spamming", by=42))
    decision = standing(blocked, T0 + 1000 * HOUR, POLICY)
    assert decision == Blocked("spamming")
    assert isinstance(decision, Blocked) and "Reason: spamming" in decision.message
    assert "Reason" not in Blocked(None).message
    # A block outranks a cooldown, and a pardon does not lift it.
    both = record(0 * MINUTE, 1 * MINUTE, 2 * MINUTE, block=Block(T0), pardoned_at=T0 + HOUR)
    assert standing(both, T0 + 2 * MINUTE, POLICY) == Blocked(None)
    assert standing(both, T0 + 2 * HOUR, POLICY) == Blocked(None)


def test_the_cooldown_refusal_says_until_when_as_a_discord_timestamp() -> None:
    until = T0 + HOUR
    message = CoolingDown(until, 3).message
    assert f"<t:{int(until.timestamp())}:t>" in message
    assert f"<t:{int(until.timestamp())}:R>" in message
    assert "3 of your prompts" in message


def test_a_cooldown_of_zero_minutes_never_stops_anyone() -> None:
    policy = Policy(cooldown=timedelta(0))
    member = record(0 * MINUTE, 1 * MINUTE, 2 * MINUTE)
    assert standing(member, T0 + 2 * MINUTE, policy) == Allowed()


def test_appeals_are_counted_over_any_24_hours() -> None:
    none_yet = appeal_allowance(MemberRecord(), T0, POLICY)
    assert none_yet.allowed and none_yet.left == 3
    two = MemberRecord(appeals=(T0, T0 + HOUR))
    assert appeal_allowance(two, T0 + 2 * HOUR, POLICY).left == 1
    full = MemberRecord(appeals=(T0 + 2 * HOUR, T0, T0 + HOUR))
    used_up = appeal_allowance(full, T0 + 3 * HOUR, POLICY)
    assert not used_up.allowed and used_up.left == 0
    # The oldest of the three leaves the window first.
    assert used_up.next_at == T0 + 24 * HOUR
    assert f"<t:{int((T0 + 24 * HOUR).timestamp())}:R>" in used_up.message
    assert appeal_allowance(full, T0 + 24 * HOUR, POLICY).left == 1
    assert appeal_allowance(full, T0 + 27 * HOUR, POLICY).left == 3


def test_more_appeals_than_the_quota_free_up_in_order() -> None:
    # Appeals stored beyond the quota (a quota lowered since) free up oldest first.
    many = MemberRecord(appeals=tuple(T0 + n * HOUR for n in range(5)))
    used_up = appeal_allowance(many, T0 + 5 * HOUR, POLICY)
    assert used_up.left == 0 and used_up.next_at == T0 + 26 * HOUR


def test_no_appeals_when_the_operator_allows_none() -> None:
    allowance = appeal_allowance(MemberRecord(), T0, Policy(appeals_per_day=0))
    assert not allowance.allowed and allowance.next_at is None


@given(
    offsets=st.lists(st.integers(0, 72 * 60), max_size=12),
    limit=st.integers(1, 5),
    now=st.integers(0, 80 * 60),
)
def test_a_cooldown_needs_that_many_strikes_within_24_hours(
    offsets: list[int], limit: int, now: int
) -> None:
    policy = Policy(strikes_before_cooldown=limit)
    member = record(*(o * MINUTE for o in offsets))
    decision = standing(member, T0 + now * MINUTE, policy)
    if isinstance(decision, CoolingDown):
        start = decision.until - policy.cooldown
        counted = [o for o in offsets if start - HOUR * 24 < T0 + o * MINUTE <= start]
        assert len(counted) >= limit
        assert T0 + now * MINUTE < decision.until
    # Never a cooldown without `limit` strikes in some 24 hours.
    busiest = max(
        (sum(1 for o in offsets if 0 <= o - first < 24 * 60) for first in offsets), default=0
    )
    if busiest < limit:
        assert cooldown_until(member, policy) is None


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_the_limit_counts_exactly(limit: int) -> None:
    policy = Policy(strikes_before_cooldown=limit)
    short = record(*(n * MINUTE for n in range(limit - 1)))
    assert cooldown_until(short, policy) is None
    enough = record(*(n * MINUTE for n in range(limit)))
    assert cooldown_until(enough, policy) == T0 + (limit - 1) * MINUTE + HOUR
