"""Where credits are reserved, settled and refunded (SPEC section 3).

A member's balance in a server is the allowance left in their current period plus their
bonus credits. Periods are aligned per member: the first starts at their first activity
and each lasts the server's period_hours. Spending takes allowance first. Every change of
a balance is a ledger row, and `Credits.audit` recomputes everything from the ledger.

Each operation is one plain function (`_reserve`, `_refund`, ... in `_rules.py`) run
whole inside one storage transaction on the database thread: no await can split a check
from its write, so concurrent reservations cannot overspend a balance or a server's
daily budget. `_terms.py` holds the values and the refusals.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial

from bot.catalogue import MODELS
from bot.credits._rules import _audit, _grant, _read_balance, _refund, _reserve, utc_day
from bot.credits._terms import (
    Balance,
    BudgetExhausted,
    CreditDefaults,
    CreditError,
    NewJob,
    OutOfCredits,
    ServerSettings,
)
from bot.storage import Database, GuildConfig, Job, JobStatus, LedgerEntry, Transaction

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
