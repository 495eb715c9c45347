"""Where credits are reserved, settled and refunded (SPEC section 3).

A member's balance in a server is the allowance left in their current period plus their
bonus credits. Periods are aligned per member: the first starts at their first activity
and each lasts the server's period_hours. Spending takes allowance first. Every change of
a balance is a ledger row, and `Credits.audit` recomputes everything from the ledger.

Each operation is one plain function (`_reserve`, `_refund`, ...) run whole inside one
storage transaction on the database thread: no await can split a check from its write,
so concurrent reservations cannot overspend a balance or a server's daily budget.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.catalogue import MODELS
from bot.errors import UserError
from bot.storage import (
    ALLOWANCE,
    BONUS,
    Database,
    GuildConfig,
    Job,
    JobStatus,
    LedgerEntry,
    MemberRow,
    Transaction,
)

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = [
    "Balance",
    "BudgetExhausted",
    "Clock",
    "CreditDefaults",
    "CreditError",
    "Credits",
    "Job",
    "JobStatus",
    "NewJob",
    "OutOfCredits",
    "ServerSettings",
]

log = logging.getLogger(__name__)

Clock = Callable[[], float]
DAY = 86400


@dataclass(frozen=True, slots=True)
class CreditDefaults:
    """The operator's defaults for servers that set nothing themselves."""

    allowance: int = 50
    period_hours: int = 24
    daily_budget: int = 2000
    safety_cap: int = 2
    default_model: str = "flux-1.1-pro"

    @classmethod
    def from_settings(cls, settings: Settings) -> CreditDefaults:
        return cls(
            allowance=settings.DEFAULT_ALLOWANCE,
            period_hours=settings.DEFAULT_PERIOD_HOURS,
            daily_budget=settings.DEFAULT_DAILY_BUDGET,
            safety_cap=settings.DEFAULT_SAFETY_CAP,
            default_model=settings.DEFAULT_MODEL,
        )


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """A server's settings in force: its own where it set them, else the operator's."""

    guild_id: int
    allowance: int
    period_hours: int
    daily_budget: int
    safety_cap: int
    default_model: str

    @classmethod
    def resolve(cls, config: GuildConfig, defaults: CreditDefaults) -> ServerSettings:
        def pick(own: Any, default: Any) -> Any:
            return default if own is None else own

        return cls(
            guild_id=config.guild_id,
            allowance=pick(config.allowance, defaults.allowance),
            period_hours=pick(config.period_hours, defaults.period_hours),
            daily_budget=pick(config.daily_budget, defaults.daily_budget),
            safety_cap=pick(config.safety_cap, defaults.safety_cap),
            default_model=pick(config.default_model, defaults.default_model),
        )


@dataclass(frozen=True, slots=True)
class Balance:
    """What a member can spend in a server now."""

    allowance_total: int
    allowance_left: int
    bonus: int
    period_hours: int
    refills_at: int  # epoch seconds: the end of the current allowance period

    @property
    def total(self) -> int:
        return self.allowance_left + self.bonus


def new_job_id() -> str:
    """A unique job id that sorts by creation time: microseconds since the epoch, then
    random bits. (Appending to the jobs and ledger indexes is cheaper than random ids.)"""
    return f"{time.time_ns() // 1000:014x}{secrets.token_hex(9)}"


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to reserve credits for. `options` must be JSON-serialisable."""

    guild_id: int  # 0 for direct messages
    channel_id: int
    user_id: int
    model: str
    prompt: str
    cost: int
    seed: int
    options: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_job_id)


class CreditError(UserError):
    """A refusal with a `message` fit to show the member."""


def _credits(n: int) -> str:
    return f"{n} credit" if n == 1 else f"{n} credits"


class OutOfCredits(CreditError):
    """The member's balance is below the job's cost."""

    def __init__(self, cost: int, balance: Balance) -> None:
        self.cost = cost
        self.balance = balance
        self.refills_at = balance.refills_at
        self.message = f"This costs {_credits(cost)}; you have {balance.total}."
        if balance.allowance_total > 0:
            self.message += f" Your allowance refills <t:{balance.refills_at}:R>."
        else:
            self.message += " This server gives no allowance; an admin can grant credits."
        super().__init__(self.message)


class BudgetExhausted(CreditError):
    """The server's daily budget cannot cover the job."""

    def __init__(self, cost: int, budget: int, left: int, resets_at: int) -> None:
        self.cost = cost
        self.budget = budget
        self.left = left
        self.resets_at = resets_at
        if left <= 0:
            self.message = "This server's daily credit budget is spent"
        else:
            self.message = (
                f"This costs {_credits(cost)} but only {left} "
                f"{'is' if left == 1 else 'are'} left in this server's daily budget"
            )
        self.message += f"; it resets at midnight UTC, <t:{resets_at}:R>."
        super().__init__(self.message)


# -- the rules, run inside one transaction each ---------------------------------------


def current_period(start: int, period_seconds: int, now: int) -> int:
    """The start of the period containing `now`, on the grid that begins at `start`."""
    if now < start + period_seconds:
        return start
    return start + (now - start) // period_seconds * period_seconds


def utc_day(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now))


def next_utc_midnight(now: float) -> int:
    return (int(now) // DAY + 1) * DAY


def _member_now(tx: Transaction, terms: ServerSettings, guild_id: int, user_id: int,
                now: int) -> MemberRow:
    """The member as of `now`: a new member's period starts now; a past one rolls over."""
    row = tx.member(guild_id, user_id)
    if row is None:
        return MemberRow(guild_id, user_id, now, 0, 0)
    start = current_period(row.period_start, terms.period_hours * 3600, now)
    return row if start == row.period_start else replace(row, period_start=start, spent=0)


def _balance(member: MemberRow, terms: ServerSettings) -> Balance:
    return Balance(
        allowance_total=terms.allowance,
        allowance_left=max(0, terms.allowance - member.spent),
        bonus=member.bonus,
        period_hours=terms.period_hours,
        refills_at=member.period_start + terms.period_hours * 3600,
    )


def _read_balance(tx: Transaction, guild_id: int, user_id: int, now: float,
                  defaults: CreditDefaults) -> Balance:
    terms = ServerSettings.resolve(tx.guild_config(guild_id), defaults)
    return _balance(_member_now(tx, terms, guild_id, user_id, int(now)), terms)


def _reserve(tx: Transaction, new: NewJob, now: float, defaults: CreditDefaults) -> Job:
    g, u, cost = new.guild_id, new.user_id, new.cost
    terms = ServerSettings.resolve(tx.guild_config(g), defaults)
    member = _member_now(tx, terms, g, u, int(now))
    balance = _balance(member, terms)
    if balance.total < cost:
        raise OutOfCredits(cost, balance)
    day = utc_day(now)
    left = terms.daily_budget - tx.budget_spent(g, day)
    if cost > left:
        raise BudgetExhausted(cost, terms.daily_budget, max(0, left), next_utc_midnight(now))

    from_allowance = min(cost, balance.allowance_left)
    from_bonus = cost - from_allowance
    tx.put_member(replace(member, spent=member.spent + from_allowance,
                          bonus=member.bonus - from_bonus))
    job = Job(
        id=new.id, guild_id=g, channel_id=new.channel_id, user_id=u, model=new.model,
        prompt=new.prompt, options=dict(new.options), seed=new.seed, cost=cost,
        allowance_part=from_allowance, bonus_part=from_bonus, budget_day=day,
        period_start=member.period_start, status=JobStatus.QUEUED, provider=None,
        message_id=None, error=None, created_at=now, updated_at=now,
    )
    tx.insert_job(job)
    tx.add_ledger(_job_entries(job, -1, "reserve", now))
    if cost:
        tx.add_budget_spend(g, day, cost)
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


def _refund(tx: Transaction, job_id: str, reason: str, now: float) -> bool:
    job = tx.unfinished_job(job_id)
    if job is None:
        return False
    tx.advance_job(job_id, JobStatus.REFUNDED, now, error=reason)
    if job.cost:
        member = tx.member(job.guild_id, job.user_id)
        assert member is not None, "a charged job always has its member row"
        spent = member.spent
        # Allowance goes back to the job's own period; once that period is over the
        # ledger row still records it there, but it buys nothing in the new one.
        if member.period_start == job.period_start:
            spent -= job.allowance_part
        tx.put_member(replace(member, spent=spent, bonus=member.bonus + job.bonus_part))
        tx.add_ledger(_job_entries(job, +1, f"refund: {reason}", now))
        tx.add_budget_spend(job.guild_id, job.budget_day, -job.cost)
    return True


def _grant(tx: Transaction, guild_id: int, user_id: int, amount: int, reason: str,
           actor_id: int | None, now: float, defaults: CreditDefaults) -> Balance:
    terms = ServerSettings.resolve(tx.guild_config(guild_id), defaults)
    member = _member_now(tx, terms, guild_id, user_id, int(now))
    bonus = max(0, member.bonus + amount)
    # The ledger records the real change, which is smaller than asked when a removal
    # reaches zero.
    tx.add_ledger([LedgerEntry(guild_id, user_id, BONUS, bonus - member.bonus, reason, None,
                               None, actor_id, now)])
    member = replace(member, bonus=bonus)
    tx.put_member(member)
    return _balance(member, terms)


def _audit(tx: Transaction) -> list[str]:
    problems: list[str] = []
    bonus_sums = tx.ledger_bonus_sums()
    allowance_sums = tx.ledger_allowance_sums()
    for m in tx.members():
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
    for g, u in tx.ledger_members_without_row():
        problems.append(f"member {u} in server {g}: ledger rows but no balance row")
    for j in tx.job_ledger_sums():
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
    stored = tx.budget_rows()
    charged_days = tx.job_budget_sums()
    for key in sorted(stored.keys() | charged_days.keys()):
        if stored.get(key, 0) != charged_days.get(key, 0):
            problems.append(
                f"server {key[0]} on {key[1]}: budget spend is {stored.get(key, 0)}, "
                f"its jobs cost {charged_days.get(key, 0)}"
            )
    return problems


# -- the service ----------------------------------------------------------------------


def _check_range(name: str, value: int | None, low: int, high: int | None = None) -> None:
    if value is not None and (value < low or (high is not None and value > high)):
        bound = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise ValueError(f"{name} must be {bound}, not {value}")


class Credits:
    """Balances, reservations and server credit settings, over one `Database`."""

    def __init__(self, db: Database, defaults: CreditDefaults | None = None,
                 clock: Clock = time.time) -> None:
        self._db = db
        self.defaults = defaults or CreditDefaults()
        self._clock = clock

    async def balance(self, guild_id: int, user_id: int) -> Balance:
        """The member's balance in the server now."""
        return await self._db.read(partial(_read_balance, guild_id=guild_id, user_id=user_id,
                                           now=self._clock(), defaults=self.defaults))

    async def reserve(self, job: NewJob) -> Job:
        """Charges the job's cost and records the job as queued, atomically.

        Raises OutOfCredits or BudgetExhausted, having changed nothing.
        """
        _check_range("cost", job.cost, 0)
        try:
            return await self._db.write(partial(_reserve, new=job, now=self._clock(),
                                                defaults=self.defaults))
        except asyncio.CancelledError:
            # The reservation still runs to its end on the database thread. A refund queued
            # behind it undoes it if it was made, so a cancelled request is never charged.
            await self.refund(job.id, "cancelled")
            raise

    async def mark(self, job_id: str, status: JobStatus | str, provider: str | None = None
                   ) -> bool:
        """Records an unfinished job's progress: 'generating' (with its provider) or
        'posting'. False when the job is unknown or already finished."""
        status = JobStatus(status)
        if status not in (JobStatus.GENERATING, JobStatus.POSTING):
            raise ValueError(f"mark() takes generating or posting, not {status}")
        now = self._clock()
        return await self._db.write(
            lambda tx: tx.advance_job(job_id, status, now, provider=provider)
        )

    async def settle(self, job_id: str, message_id: int) -> bool:
        """The job's image was posted: its charge is final. Exactly once: False (and no
        change) when the job was already settled or refunded, or is unknown."""
        now = self._clock()
        return await self._db.write(
            lambda tx: tx.advance_job(job_id, JobStatus.SETTLED, now, message_id=message_id)
        )

    async def refund(self, job_id: str, reason: str) -> bool:
        """The job failed: its credits and budget spend come back. Exactly once: False (and
        no change) when the job was already settled or refunded, or is unknown."""
        refunded = await self._db.write(partial(_refund, job_id=job_id, reason=reason,
                                                now=self._clock()))
        if refunded:
            log.info("refunded job %s: %s", job_id, reason)
        return refunded

    async def grant(self, guild_id: int, user_id: int, amount: int, reason: str,
                    actor_id: int | None) -> Balance:
        """Adds bonus credits (a negative amount removes them, never below zero)."""
        balance = await self._db.write(partial(
            _grant, guild_id=guild_id, user_id=user_id, amount=amount, reason=reason,
            actor_id=actor_id, now=self._clock(), defaults=self.defaults,
        ))
        log.info("grant of %+d bonus credits to member %d in server %d by %s (%s): bonus %d",
                 amount, user_id, guild_id, actor_id, reason, balance.bonus)
        return balance

    async def get_job(self, job_id: str) -> Job | None:
        """The job, whatever its status, or None."""
        return await self._db.read(lambda tx: tx.job(job_id))

    async def unfinished_jobs(self) -> list[Job]:
        """Jobs queued, generating or posting, oldest first: after a crash, what it left."""
        return await self._db.read(lambda tx: tx.unfinished_jobs())

    async def budget_left(self, guild_id: int) -> int:
        """Credits the server may still spend today (UTC)."""
        now = self._clock()

        def left(tx: Transaction) -> int:
            terms = ServerSettings.resolve(tx.guild_config(guild_id), self.defaults)
            return max(0, terms.daily_budget - tx.budget_spent(guild_id, utc_day(now)))

        return await self._db.read(left)

    async def audit(self) -> list[str]:
        """Recomputes balances, budget spend and job charges from the ledger and the jobs;
        one line per difference, so an empty list means everything adds up."""
        problems = await self._db.read(_audit)
        for problem in problems:
            log.warning("credit audit: %s", problem)
        return problems

    # -- server settings ---------------------------------------------------------------

    async def guild_config(self, guild_id: int) -> ServerSettings:
        """The server's settings in force."""
        config = await self._db.read(lambda tx: tx.guild_config(guild_id))
        return ServerSettings.resolve(config, self.defaults)

    async def set_allowance(self, guild_id: int, amount: int | None,
                            period_hours: int | None = None) -> ServerSettings:
        """Sets the per-member allowance (None: the operator's) and, when given, its
        period. Allowance already spent in the current period stays spent."""
        _check_range("allowance", amount, 0)
        _check_range("period_hours", period_hours, 1, 24 * 366)
        if period_hours is None:
            return await self._configure(guild_id, allowance=amount)
        return await self._configure(guild_id, allowance=amount, period_hours=period_hours)

    async def set_budget(self, guild_id: int, amount: int | None) -> ServerSettings:
        """Sets the most credits the whole server may spend per UTC day (None: the
        operator's default; 0 stops all spending)."""
        _check_range("daily budget", amount, 0)
        return await self._configure(guild_id, daily_budget=amount)

    async def set_default_model(self, guild_id: int, model: str | None) -> ServerSettings:
        """Sets the server's default model (None: the operator's)."""
        if model is not None and model not in MODELS:
            raise ValueError(f"unknown model {model!r}; known: {', '.join(MODELS)}")
        return await self._configure(guild_id, default_model=model)

    async def set_safety_cap(self, guild_id: int, level: int | None,
                             channel_id: int | None = None) -> None:
        """Sets the server's safety_tolerance cap, or one channel's; None removes it."""
        _check_range("safety cap", level, 1, 6)
        if channel_id is None:
            await self._configure(guild_id, safety_cap=level)
            return
        await self._db.write(lambda tx: tx.set_channel_cap(guild_id, channel_id, level))
        log.info("server %d: safety cap of channel %d set to %s", guild_id, channel_id, level)

    async def _configure(self, guild_id: int, **values: int | str | None) -> ServerSettings:
        def update(tx: Transaction) -> GuildConfig:
            tx.update_guild_config(guild_id, **values)
            return tx.guild_config(guild_id)

        config = await self._db.write(update)
        log.info("server %d: settings changed: %s", guild_id, values)
        return ServerSettings.resolve(config, self.defaults)

    async def safety_caps(self, guild_id: int) -> tuple[int, dict[int, int]]:
        """The server's cap (its own, else the operator's) and each channel's own cap."""

        def caps(tx: Transaction) -> tuple[int, dict[int, int]]:
            own = tx.guild_config(guild_id).safety_cap
            server = self.defaults.safety_cap if own is None else own
            return server, tx.channel_caps(guild_id)

        return await self._db.read(caps)

    async def get_meta(self, key: str) -> str | None:
        """A value of the bot's key-value store (e.g. the registered commands' hash)."""
        return await self._db.get_meta(key)

    async def set_meta(self, key: str, value: str) -> None:
        """Stores a value in the bot's key-value store."""
        await self._db.set_meta(key, value)

    async def ledger(self, guild_id: int, user_id: int) -> list[LedgerEntry]:
        """A member's ledger rows in the server, oldest first."""
        return await self._db.read(lambda tx: tx.ledger(guild_id, user_id))
