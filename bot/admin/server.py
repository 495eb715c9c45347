"""What a server admin sets beyond the basic settings in `bot.guilds`: role tiers, the
models allowed here and the log channel; and the operator's ceilings on what they set.

Nothing here knows Discord: roles and channels are ids."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot import texts
from bot.admin import store
from bot.admin.store import LogChannel
from bot.catalogue import MODELS
from bot.credits import check_range
from bot.credits import store as credits_store
from bot.credits._rules import utc_day
from bot.credits.store import RoleTier
from bot.errors import UserError
from bot.i18n import DEFAULT_LOCALE, NAMES, tr
from bot.jobs.ports import ServerShared
from bot.settings import Settings
from bot.storage import Rule, Store, Transaction

log = logging.getLogger(__name__)

# The shares of a day's budget that are reported in the log channel, once each per day.
BUDGET_ALERTS = (80, 100)


class CeilingExceeded(UserError):
    """An admin asked for more than the operator allows."""


class ModelForbidden(UserError):
    """The model is not allowed in this server."""


class ServerAdmin:
    """Role tiers, allowed models, the log channel and budget alerts, over one `Store`."""

    def __init__(self, db: Store, settings: Settings,
                 clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock

    def now(self) -> float:
        """The time by this service's clock (tests move it)."""
        return self._clock()

    # -- the operator's ceilings -------------------------------------------------------

    def check_allowance(self, amount: int | None) -> None:
        """Refuses an allowance (or a role tier) above the operator's MAX_ALLOWANCE."""
        ceiling = self._settings.MAX_ALLOWANCE
        if amount is not None and amount > ceiling:
            raise CeilingExceeded(
                tr("The most an allowance can be here is {credits} per period (the bot's "
                   "MAX_ALLOWANCE); nothing was changed.",
                   credits=texts.credits(ceiling)))

    def check_budget(self, amount: int | None) -> None:
        """Refuses a daily budget above the operator's MAX_DAILY_BUDGET."""
        ceiling = self._settings.MAX_DAILY_BUDGET
        if amount is not None and amount > ceiling:
            raise CeilingExceeded(
                tr("The most a daily budget can be here is {credits} (the bot's "
                   "MAX_DAILY_BUDGET); nothing was changed.",
                   credits=texts.credits(ceiling)))

    # -- role tiers --------------------------------------------------------------------

    async def set_tier(self, guild_id: int, role_id: int, amount: int,
                       period_hours: int | None) -> RoleTier:
        """Gives a role its own allowance (and period; None: the server's)."""
        check_range("allowance", amount, 0)
        check_range("period_hours", period_hours, 1, 24 * 366)
        self.check_allowance(amount)
        tier = RoleTier(guild_id, role_id, amount, period_hours)
        await self._db.write(lambda tx: credits_store.set_role_tier(tx, tier))
        log.info("server %d: role %d tier set to %d every %s h", guild_id, role_id, amount,
                 period_hours)
        return tier

    async def remove_tier(self, guild_id: int, role_id: int) -> bool:
        """Removes a role's tier; False when it had none."""
        return await self._db.write(
            lambda tx: credits_store.remove_role_tier(tx, guild_id, role_id))

    async def tiers(self, guild_id: int) -> list[RoleTier]:
        """The server's role tiers, largest allowance first."""
        return await self._db.read(lambda tx: credits_store.role_tiers(tx, guild_id))

    # -- models ------------------------------------------------------------------------

    async def set_model_allowed(self, guild_id: int, model: str, allowed: bool) -> set[str]:
        """Allows or forbids a model here; returns the models forbidden afterwards."""
        if model not in MODELS:
            raise UserError(tr("There is no model `{model}`. See /models.",
                               model=model))

        async def change(tx: Transaction) -> set[str]:
            await store.set_model_forbidden(tx, guild_id, model, not allowed)
            forbidden = await store.forbidden_models(tx, guild_id)
            # The image editor (/edit) is no model /imagine could fall back on.
            if {m.id for m in MODELS.values() if m.imagine} <= forbidden:
                # Forbidding every model would stop the server silently. Raising undoes
                # the change with the transaction.
                raise UserError(tr("That would forbid every model; allow another one first."))
            return forbidden

        return await self._db.write(change)

    async def forbidden_models(self, guild_id: int) -> set[str]:
        """The models this server forbids (none in direct messages)."""
        if not guild_id:
            return set()
        return await self._db.read(lambda tx: store.forbidden_models(tx, guild_id))

    async def check_model(self, guild_id: int, model: str, offered: list[str]) -> None:
        """Refuses a model the server forbids, naming the ones it allows among `offered`."""
        check_model_allowed(await self.forbidden_models(guild_id), model, offered)

    # -- the language of shared texts ----------------------------------------------------

    async def set_language(self, guild_id: int, locale: str) -> None:
        """Chooses the language of what everyone in the server sees (a locale of
        `bot.i18n.NAMES`)."""
        if locale not in NAMES:
            raise UserError(tr("fluxcord does not speak that language yet."))
        await self._db.write(lambda tx: store.set_language(tx, guild_id, locale))
        log.info("server %d: language set to %s", guild_id, locale)

    async def language(self, guild_id: int) -> str:
        """The Discord locale of the server's shared texts (English unless chosen)."""
        if not guild_id:
            return DEFAULT_LOCALE
        return await self._db.read(lambda tx: store.language(tx, guild_id)) or DEFAULT_LOCALE

    # -- the log channel ---------------------------------------------------------------

    async def set_log_channel(self, guild_id: int, channel_id: int | None, set_by: int
                              ) -> None:
        """Sets (None: removes) where admin events are reported."""
        await self._db.write(lambda tx: store.set_log_channel(tx, guild_id, channel_id, set_by))

    async def log_channel(self, guild_id: int) -> LogChannel | None:
        """The server's log channel, if any."""
        return await self._db.read(lambda tx: store.log_channel(tx, guild_id))

    async def first_warning(self, guild_id: int, channel_id: int) -> bool:
        """True once per log channel setting: the admin is told it cannot be posted in."""
        return await self._db.write(lambda tx: store.mark_log_warned(tx, guild_id, channel_id))

    async def budget_alerts(self, guild_id: int, budget: int) -> list[int]:
        """The alert levels (percent of `budget`) today's spend has newly reached: each
        is returned once per server and UTC day, whatever the number of processes."""
        if not guild_id or budget <= 0:
            return []
        day = utc_day(self._clock())
        # A read first: after most jobs no level is reached and nothing needs writing.
        spent = await self._db.read(lambda tx: credits_store.budget_spent(tx, guild_id, day))
        reached = [level for level in BUDGET_ALERTS if spent * 100 >= budget * level]
        if not reached:
            return []

        async def claim(tx: Transaction) -> list[int]:
            return [level for level in reached if await store.claim_alert(tx, guild_id, day, level)]

        return await self._db.write(claim)


def forbidden_rule(guild_id: int) -> Rule[set[str]]:
    """The read of the models a server forbids (none in direct messages), for
    `check_model_allowed`; a job runs it with its other settings in one transaction."""

    async def read(tx: Transaction) -> set[str]:
        return await store.forbidden_models(tx, guild_id) if guild_id else set()

    return read


def log_channel_rule(guild_id: int) -> Rule[ServerShared]:
    """The read of whether a server has a log channel, and of its language; a job runs
    it with its other settings in one transaction, to know whether a budget alert is
    worked out and in which language its result speaks."""

    async def read(tx: Transaction) -> ServerShared:
        log_channel, language = await store.has_log_channel_and_language(tx, guild_id)
        return ServerShared(log_channel, language or DEFAULT_LOCALE)

    return read


def check_model_allowed(forbidden: set[str], model: str, offered: list[str]) -> None:
    """Refuses a model the server forbids, naming the ones it allows among `offered`."""
    if model not in forbidden:
        return
    allowed = [texts.model_with_value(m) for m in offered if m not in forbidden]
    where = tr("Allowed here: {models}.", models=texts.listing(allowed)) if allowed else (
        tr("No model is allowed here now."))
    raise ModelForbidden(
        tr("{model_label} is not allowed in this server. {where} Nothing was charged.",
           model_label=texts.model_label(model), where=where))
