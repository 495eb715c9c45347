"""The values credits are counted in, and the refusals a member can meet."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.credits.rows import GuildConfig
from bot.errors import UserError
from bot.i18n import tr, trn
from bot.texts import credits

if TYPE_CHECKING:
    from bot.settings import Settings


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
    tier_role_id: int | None = None  # the role whose tier gives the allowance, if any

    @property
    def total(self) -> int:
        return self.allowance_left + self.bonus


@dataclass(frozen=True, slots=True)
class Granted(Balance):
    """The balance after a grant, and the bonus it really moved: less than asked when a
    removal reached zero."""

    change: int = 0


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
    # The member's roles when they asked: their highest role tier applies.
    role_ids: tuple[int, ...] = ()
    shard: int = 0  # the shard of its server (bot.fleet.shard_of), whose process owns it
    # The ledger's reason for the charge: "reserve", or "reserve: <tool>" for a tool's job.
    reason: str = "reserve"
    # Recorded as generating at once (it starts without waiting in the queue), instead of
    # queued and then marked generating in a transaction of its own.
    generating: bool = False


class CreditError(UserError):
    """A refusal with a `message` fit to show the member."""


class JobEnded(Exception):
    """The job was settled or refunded meanwhile (by recovery in another process, say,
    after its shard moved): nothing of it may be posted or charged any more."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} was already settled or refunded")
        self.job_id = job_id


class OutOfCredits(CreditError):
    """The member's balance is below the job's cost."""

    def __init__(self, cost: int, balance: Balance) -> None:
        self.cost = cost
        self.balance = balance
        self.refills_at = balance.refills_at
        if balance.allowance_total > 0:
            when = f"<t:{balance.refills_at}:R>"
            text = tr("This costs {cost}; you have {balance}. Your allowance refills {when}.",
                      cost=credits(cost), balance=credits(balance.total), when=when)
        else:
            text = tr("This costs {cost}; you have {balance}. This server gives no allowance; "
                      "an admin can grant credits.",
                      cost=credits(cost), balance=credits(balance.total))
        super().__init__(text)


class BudgetExhausted(CreditError):
    """The server's daily budget cannot cover the job."""

    def __init__(self, cost: int, budget: int, left: int, resets_at: int) -> None:
        self.cost = cost
        self.budget = budget
        self.left = left
        self.resets_at = resets_at
        when = f"<t:{resets_at}:R>"
        if left <= 0:
            text = tr("This server's daily credit budget is spent; it resets at midnight "
                      "UTC, {when}.", when=when)
        else:
            text = trn("This costs {cost} but only {n} credit is left in this server's daily "
                       "budget; it resets at midnight UTC, {when}.",
                       "This costs {cost} but only {n} credits are left in this server's "
                       "daily budget; it resets at midnight UTC, {when}.",
                       left, cost=credits(cost), when=when)
        super().__init__(text)
