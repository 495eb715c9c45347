"""Where credits are reserved, settled and refunded (SPEC section 3).

A member's balance in a server is the allowance left in their current period plus their
bonus credits. Periods are aligned per member: the first starts at their first activity
and each lasts the server's period_hours. Spending takes allowance first. Every change of
a balance is a ledger row, and `Credits.audit` recomputes everything from the ledger.

Each operation is one rule (`_reserve`, `_refund`, ... in `_rules.py`) run whole inside
one storage transaction, on whichever engine: the rule locks what it checks, so
concurrent reservations, in one process or several, cannot overspend a balance or a
server's daily budget. `_terms.py` holds the values and the refusals. Server settings
live in `bot.guilds`, job progress in `bot.credits.records`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from functools import partial
from typing import Any

from bot.credits import store
from bot.credits._rules import (
    _audit,
    _grant,
    _read_balance,
    _refund,
    _refund_part,
    _reserve,
    utc_day,
)
from bot.credits._terms import (
    Balance,
    BudgetExhausted,
    CreditDefaults,
    CreditError,
    Granted,
    JobEnded,
    NewJob,
    OutOfCredits,
    ServerSettings,
)
from bot.credits.rows import Job, JobStatus, LedgerEntry
from bot.storage import Rule, Store, Transaction

__all__ = [
    "Balance",
    "BudgetExhausted",
    "Clock",
    "CreditDefaults",
    "CreditError",
    "Credits",
    "Granted",
    "Job",
    "JobEnded",
    "JobStatus",
    "NewJob",
    "OutOfCredits",
    "ServerSettings",
    "check_range",
]

log = logging.getLogger(__name__)

Clock = Callable[[], float]


def check_range(name: str, value: int | None, low: int, high: int | None = None) -> None:
    """Raises ValueError when `value` is set and outside low..high."""
    if value is not None and (value < low or (high is not None and value > high)):
        bound = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise ValueError(f"{name} must be {bound}, not {value}")


class Credits:
    """Balances, reservations and the ledger, over one `Store`."""

    def __init__(self, db: Store, defaults: CreditDefaults | None = None,
                 clock: Clock = time.time) -> None:
        self._db = db
        self.defaults = defaults or CreditDefaults()
        self._clock = clock

    async def balance(self, guild_id: int, user_id: int, role_ids: Collection[int] = ()
                      ) -> Balance:
        """The member's balance in the server now, for a member holding `role_ids` (their
        highest role tier applies)."""
        return await self._db.read(partial(_read_balance, guild_id=guild_id, user_id=user_id,
                                           now=self._clock(), defaults=self.defaults,
                                           role_ids=tuple(role_ids)))

    async def reserve(self, job: NewJob,
                      also: Callable[[str], Rule[Any] | None] | None = None) -> Job:
        """Charges the job's cost and records the job as queued, atomically.

        `also(job id)`: more of the job to write with the reservation (None: nothing),
        committed with it or not at all, in the same transaction instead of one more.
        Raises OutOfCredits or BudgetExhausted, having changed nothing.
        """
        check_range("cost", job.cost, 0)
        reserve = partial(_reserve, new=job, now=self._clock(), defaults=self.defaults)
        extra = also(job.id) if also is not None else None

        async def reserve_and_more(tx: Transaction) -> Job:
            reserved = await reserve(tx)
            if extra is not None:
                await extra(tx)
            return reserved

        try:
            return await self._db.write(reserve if extra is None else reserve_and_more)
        except asyncio.CancelledError:
            # The reservation still runs to its end on the database thread. A refund queued
            # behind it undoes it if it was made, so a cancelled request is never charged.
            await self.refund(job.id, "cancelled")
            raise

    async def posting(self, job_id: str, provider: str, guild_id: int, user_id: int,
                      role_ids: Collection[int] = ()) -> Balance:
        """Records that the job's images, made by `provider`, are about to be posted, and
        reads the member's balance to show beside them: one call, not two, on the way of
        every job. The mark is one statement and the balance is read as it is after it,
        so neither needs a transaction around them (PostgreSQL spares BEGIN and COMMIT);
        should the read fail, the job is refunded from `posting` as from `generating`.
        Raises JobEnded, reading nothing, when the job was settled or refunded meanwhile."""
        now = self._clock()

        async def posting(tx: Transaction) -> Balance:
            if not await store.advance_job(tx, job_id, JobStatus.POSTING, now,
                                           provider=provider):
                raise JobEnded(job_id)
            return await _read_balance(tx, guild_id=guild_id, user_id=user_id, now=now,
                                       defaults=self.defaults, role_ids=tuple(role_ids))

        return await self._db.write(posting, autocommit=True)

    async def settle(self, job_id: str, message_id: int) -> bool:
        """The job's image was posted: its charge is final. Exactly once: False (and no
        change) when the job was already settled or refunded, or is unknown."""
        now = self._clock()
        return await self._db.write(
            lambda tx: store.advance_job(tx, job_id, JobStatus.SETTLED, now, message_id=message_id),
            one_statement=True,
        )

    async def refund(self, job_id: str, reason: str) -> bool:
        """The job failed: its credits and budget spend come back. Exactly once: False (and
        no change) when the job was already settled or refunded, or is unknown."""
        refunded = await self._db.write(partial(_refund, job_id=job_id, reason=reason,
                                                now=self._clock()))
        if refunded:
            log.info("refunded job %s: %s", job_id, reason)
        return refunded

    async def refund_part(self, job_id: str, amount: int, reason: str) -> bool:
        """Gives back `amount` credits of an unfinished job whose other images still go
        out (a job of several images, some of which failed). False (and no change) when
        the job is finished or unknown, or `amount` is not less than its cost."""
        refunded = await self._db.write(partial(_refund_part, job_id=job_id, amount=amount,
                                                reason=reason, now=self._clock()))
        if refunded:
            log.info("refunded %d credits of job %s: %s", amount, job_id, reason)
        return refunded

    async def grant(self, guild_id: int, user_id: int, amount: int, reason: str,
                    actor_id: int | None, role_ids: Collection[int] = ()) -> Granted:
        """Adds bonus credits (a negative amount removes them, never below zero); the
        result says how many really moved."""
        balance = await self._db.write(partial(
            _grant, guild_id=guild_id, user_id=user_id, amount=amount, reason=reason,
            actor_id=actor_id, now=self._clock(), defaults=self.defaults,
            role_ids=tuple(role_ids),
        ))
        log.info("grant of %+d bonus credits to member %d in server %d by %s (%s): bonus %d",
                 amount, user_id, guild_id, actor_id, reason, balance.bonus)
        return balance

    async def budget_left(self, guild_id: int) -> int:
        """Credits the server may still spend today (UTC)."""
        now = self._clock()

        async def left(tx: Transaction) -> int:
            terms = ServerSettings.resolve(await store.guild_config(tx, guild_id), self.defaults)
            return max(0, terms.daily_budget - await store.budget_spent(tx, guild_id, utc_day(now)))

        return await self._db.read(left)

    async def audit(self) -> list[str]:
        """Recomputes balances, budget spend and job charges from the ledger and the jobs;
        one line per difference, so an empty list means everything adds up."""
        problems = await self._db.read(_audit)
        for problem in problems:
            log.warning("credit audit: %s", problem)
        return problems

    async def ledger(self, guild_id: int, user_id: int) -> list[LedgerEntry]:
        """A member's ledger rows in the server, oldest first."""
        return await self._db.read(lambda tx: store.ledger(tx, guild_id, user_id))
