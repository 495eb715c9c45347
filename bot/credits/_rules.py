"""The credit rules, each one `async def rule(tx, ...)` run whole inside one storage
transaction. Written once for every engine: a rule that checks a balance or a budget
first locks what it checks, server before member, so on an engine where other
transactions run at the same time no one can slip between its check and its write."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import replace

from bot.credits import store
from bot.credits._terms import (
    DAY,
    Balance,
    BudgetExhausted,
    CreditDefaults,
    Granted,
    NewJob,
    OutOfCredits,
    ServerSettings,
)
from bot.credits._tiers import terms_of
from bot.credits.rows import ALLOWANCE, BONUS, Job, JobStatus, LedgerEntry, MemberRow
from bot.credits.store import RoleTier
from bot.storage import Transaction


def current_period(start: int, period_seconds: int, now: int) -> int:
    """The start of the period containing `now`, on the grid that begins at `start`."""
    if now < start + period_seconds:
        return start
    return start + (now - start) // period_seconds * period_seconds


def utc_day(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now))


def next_utc_midnight(now: float) -> int:
    return (int(now) // DAY + 1) * DAY


def _as_of(row: MemberRow | None, terms: ServerSettings, guild_id: int, user_id: int,
           now: int) -> MemberRow:
    """The member's stored row as of `now`: a new member's period starts now; a past one
    rolls over."""
    if row is None:
        return MemberRow(guild_id, user_id, now, 0, 0)
    start = current_period(row.period_start, terms.period_hours * 3600, now)
    return row if start == row.period_start else replace(row, period_start=start, spent=0)


def _balance(member: MemberRow, terms: ServerSettings, tier_role_id: int | None = None
             ) -> Balance:
    return Balance(
        allowance_total=terms.allowance,
        allowance_left=max(0, terms.allowance - member.spent),
        bonus=member.bonus,
        period_hours=terms.period_hours,
        refills_at=member.period_start + terms.period_hours * 3600,
        tier_role_id=tier_role_id,
    )


async def _member_credits(tx: Transaction, guild_id: int, user_id: int, now: float,
                          defaults: CreditDefaults, role_ids: Collection[int]
                          ) -> tuple[ServerSettings, RoleTier | None, MemberRow, int]:
    """The terms in force for the member (with the tier of `role_ids`), the member as of
    `now`, and the server's spend today: one statement."""
    read = await store.member_credits(tx, guild_id, user_id, utc_day(now),
                                      tiers=bool(role_ids))
    terms, tier = terms_of(read.config, read.tiers, defaults, role_ids)
    member = _as_of(read.member, terms, guild_id, user_id, int(now))
    return terms, tier, member, read.budget_spent


async def _read_balance(tx: Transaction, guild_id: int, user_id: int, now: float,
                        defaults: CreditDefaults, role_ids: Collection[int] = ()) -> Balance:
    terms, tier, member, _ = await _member_credits(tx, guild_id, user_id, now, defaults,
                                                   role_ids)
    return _balance(member, terms, tier.role_id if tier else None)


async def _reserve(tx: Transaction, new: NewJob, now: float, defaults: CreditDefaults) -> Job:
    g, u, cost = new.guild_id, new.user_id, new.cost
    await tx.lock_member(g, u)  # the server's budget, then the member's balance
    # The tier of the roles the member holds now, as the interaction said.
    terms, _, member, spent_today = await _member_credits(tx, g, u, now, defaults,
                                                          new.role_ids)
    balance = _balance(member, terms)
    if balance.total < cost:
        raise OutOfCredits(cost, balance)
    day = utc_day(now)
    left = terms.daily_budget - spent_today
    if cost > left:
        raise BudgetExhausted(cost, terms.daily_budget, max(0, left), next_utc_midnight(now))

    from_allowance = min(cost, balance.allowance_left)
    from_bonus = cost - from_allowance
    await store.put_member(tx, replace(member, spent=member.spent + from_allowance,
                          bonus=member.bonus - from_bonus))
    job = Job(
        id=new.id, guild_id=g, channel_id=new.channel_id, user_id=u, model=new.model,
        prompt=new.prompt, options=dict(new.options), seed=new.seed, cost=cost,
        allowance_part=from_allowance, bonus_part=from_bonus, budget_day=day,
        period_start=member.period_start,
        status=JobStatus.GENERATING if new.generating else JobStatus.QUEUED, provider=None,
        message_id=None, error=None, created_at=now, updated_at=now, shard=new.shard,
    )
    await store.insert_job(tx, job)
    await store.add_ledger(tx, _job_entries(job, -1, new.reason, now))
    if cost:
        await store.add_budget_spend(tx, g, day, cost)
    return job


def _job_entries(job: Job, sign: int, reason: str, now: float) -> list[LedgerEntry]:
    entries = []
    if job.allowance_part:
        entries.append(LedgerEntry(job.guild_id, job.user_id, ALLOWANCE,
                                   sign * job.allowance_part, reason, job.id,
                                   job.period_start, None, now))
    if job.bonus_part:
        entries.append(LedgerEntry(job.guild_id, job.user_id, BONUS, sign * job.bonus_part,
                                   reason, job.id, None, None, now))
    return entries


async def _refund(tx: Transaction, job_id: str, reason: str, now: float) -> bool:
    job = await store.unfinished_job(tx, job_id)
    if job is None:
        return False
    await tx.lock_member(job.guild_id, job.user_id)
    # Read again under the lock: a partial refund by another transaction (PostgreSQL's
    # READ COMMITTED) may have lowered the charge since the first read, which only found
    # whose lock to take.
    job = await store.unfinished_job(tx, job_id)
    if job is None:
        return False
    # The guard makes it exactly-once: a settle may have finished the job meanwhile.
    if not await store.advance_job(tx, job_id, JobStatus.REFUNDED, now, error=reason):
        return False
    if job.cost:
        member = await store.member(tx, job.guild_id, job.user_id)
        assert member is not None, "a charged job always has its member row"
        spent = member.spent
        # Allowance goes back to the job's own period; once that period is over the
        # ledger row still records it there, but it buys nothing in the new one.
        if member.period_start == job.period_start:
            spent -= job.allowance_part
        await store.put_member(
            tx, replace(member, spent=spent, bonus=member.bonus + job.bonus_part))
        await store.add_ledger(tx, _job_entries(job, +1, f"refund: {reason}", now))
        await store.add_budget_spend(tx, job.guild_id, job.budget_day, -job.cost)
    return True


async def _refund_part(tx: Transaction, job_id: str, amount: int, reason: str,
                       now: float) -> bool:
    """Gives back `amount` of an unfinished job's charge (some of its images failed); the
    rest stays reserved until the job is settled or refunded. Bonus credits come back
    first: they do not expire."""
    job = await store.unfinished_job(tx, job_id)
    if job is None or not 0 < amount < job.cost:
        return False
    await tx.lock_member(job.guild_id, job.user_id)
    bonus_back = min(amount, job.bonus_part)
    allowance_back = amount - bonus_back
    if not await store.reduce_job_charge(tx,
        job_id, expected_cost=job.cost, cost=job.cost - amount,
        allowance_part=job.allowance_part - allowance_back,
        bonus_part=job.bonus_part - bonus_back, now=now,
    ):
        return False
    member = await store.member(tx, job.guild_id, job.user_id)
    assert member is not None, "a charged job always has its member row"
    spent = member.spent
    if member.period_start == job.period_start:  # as in a full refund
        spent -= allowance_back
    await store.put_member(tx, replace(member, spent=spent, bonus=member.bonus + bonus_back))
    back = replace(job, allowance_part=allowance_back, bonus_part=bonus_back)
    await store.add_ledger(tx, _job_entries(back, +1, f"partial refund: {reason}", now))
    await store.add_budget_spend(tx, job.guild_id, job.budget_day, -amount)
    return True


async def _grant(tx: Transaction, guild_id: int, user_id: int, amount: int, reason: str,
           actor_id: int | None, now: float, defaults: CreditDefaults,
           role_ids: Collection[int] = ()) -> Granted:
    await tx.lock_member(guild_id, user_id)
    terms, tier, member, _ = await _member_credits(tx, guild_id, user_id, now, defaults,
                                                   role_ids)
    bonus = max(0, member.bonus + amount)
    # The ledger records the real change, which is smaller than asked when a removal
    # reaches zero.
    await store.add_ledger(tx, [LedgerEntry(guild_id, user_id, BONUS, bonus - member.bonus,
                                            reason, None, None, actor_id, now)])
    change = bonus - member.bonus
    member = replace(member, bonus=bonus)
    await store.put_member(tx, member)
    return Granted(
        allowance_total=terms.allowance,
        allowance_left=max(0, terms.allowance - member.spent),
        bonus=bonus,
        period_hours=terms.period_hours,
        refills_at=member.period_start + terms.period_hours * 3600,
        tier_role_id=tier.role_id if tier else None,
        change=change,
    )


async def _audit(tx: Transaction) -> list[str]:
    problems: list[str] = []
    bonus_sums = await store.ledger_bonus_sums(tx)
    allowance_sums = await store.ledger_allowance_sums(tx)
    for m in await store.members(tx):
        who = f"member {m.user_id} in server {m.guild_id}"
        ledger_bonus = bonus_sums.get((m.guild_id, m.user_id), 0)
        if ledger_bonus != m.bonus:
            problems.append(f"{who}: bonus is {m.bonus}, the ledger sums to {ledger_bonus}")
        ledger_spent = -allowance_sums.get((m.guild_id, m.user_id, m.period_start), 0)
        if ledger_spent != m.spent:
            problems.append(
                f"{who}: allowance spent in the period from {m.period_start} is {m.spent}, "
                f"the ledger says {ledger_spent}"
            )
    for (g, u, period), total in allowance_sums.items():
        if total > 0:
            problems.append(
                f"member {u} in server {g}: the ledger gives {total} allowance credits more "
                f"than were spent in the period from {period}"
            )
    for g, u in await store.ledger_members_without_row(tx):
        problems.append(f"member {u} in server {g}: ledger rows but no balance row")
    for j in await store.job_ledger_sums(tx):
        charged = j.status is not JobStatus.REFUNDED
        want_allowance = -j.allowance_part if charged else 0
        want_bonus = -j.bonus_part if charged else 0
        if (j.allowance_sum, j.bonus_sum) != (want_allowance, want_bonus):
            problems.append(
                f"job {j.job_id} ({j.status}, cost {j.cost}): the ledger moved "
                f"{j.allowance_sum} allowance and {j.bonus_sum} bonus, expected "
                f"{want_allowance} and {want_bonus}"
            )
        if j.misfiled_rows:
            problems.append(f"job {j.job_id}: allowance rows filed under another period")
    stored = await store.budget_rows(tx)
    charged_days = await store.job_budget_sums(tx)
    for key in sorted(stored.keys() | charged_days.keys()):
        if stored.get(key, 0) != charged_days.get(key, 0):
            problems.append(
                f"server {key[0]} on {key[1]}: budget spend is {stored.get(key, 0)}, "
                f"its jobs cost {charged_days.get(key, 0)}"
            )
    return problems
