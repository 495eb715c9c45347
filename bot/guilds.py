"""A server's own settings (SPEC sections 3 and 6): the allowance and its period, the
daily budget, the safety caps and the default model. What an admin sets is stored; what
is in force falls back to the operator's defaults for whatever the server did not set."""

from __future__ import annotations

import logging

from bot.catalogue import MODELS
from bot.credits import CreditDefaults, ServerSettings, check_range
from bot.credits import store as credits_store
from bot.credits.rows import GuildConfig
from bot.storage import Store, Transaction

log = logging.getLogger(__name__)


class Guilds:
    """Reads and changes server settings, over one `Store`."""

    def __init__(self, db: Store, defaults: CreditDefaults | None = None) -> None:
        self._db = db
        self.defaults = defaults or CreditDefaults()

    async def guild_config(self, guild_id: int) -> ServerSettings:
        """The server's settings in force."""
        config = await self._db.read(lambda tx: credits_store.guild_config(tx, guild_id))
        return ServerSettings.resolve(config, self.defaults)

    async def set_allowance(self, guild_id: int, amount: int | None,
                            period_hours: int | None = None) -> ServerSettings:
        """Sets the per-member allowance (None: the operator's) and, when given, its
        period. Allowance already spent in the current period stays spent."""
        check_range("allowance", amount, 0)
        check_range("period_hours", period_hours, 1, 24 * 366)
        if period_hours is None:
            return await self._configure(guild_id, allowance=amount)
        return await self._configure(guild_id, allowance=amount, period_hours=period_hours)

    async def set_budget(self, guild_id: int, amount: int | None) -> ServerSettings:
        """Sets the most credits the whole server may spend per UTC day (None: the
        operator's default; 0 stops all spending)."""
        check_range("daily budget", amount, 0)
        return await self._configure(guild_id, daily_budget=amount)

    async def set_default_model(self, guild_id: int, model: str | None) -> ServerSettings:
        """Sets the server's default model (None: the operator's)."""
        if model is not None and model not in MODELS:
            raise ValueError(f"unknown model {model!r}; known: {', '.join(MODELS)}")
        return await self._configure(guild_id, default_model=model)

    async def set_safety_cap(self, guild_id: int, level: int | None,
                             channel_id: int | None = None) -> None:
        """Sets the server's safety_tolerance cap, or one channel's; None removes it."""
        check_range("safety cap", level, 1, 6)
        if channel_id is None:
            await self._configure(guild_id, safety_cap=level)
            return
        await self._db.write(
            lambda tx: credits_store.set_channel_cap(tx, guild_id, channel_id, level))
        log.info("server %d: safety cap of channel %d set to %s", guild_id, channel_id, level)

    async def safety_caps(self, guild_id: int) -> tuple[int, dict[int, int]]:
        """The server's cap (its own, else the operator's) and each channel's own cap."""

        async def caps(tx: Transaction) -> tuple[int, dict[int, int]]:
            config = await credits_store.guild_config(tx, guild_id)
            return self.server_cap_of(config), await credits_store.channel_caps(tx, guild_id)

        return await self._db.read(caps)

    def server_cap_of(self, config: GuildConfig) -> int:
        """The server's cap from its stored settings: its own, else the operator's."""
        return self.defaults.safety_cap if config.safety_cap is None else config.safety_cap

    async def _configure(self, guild_id: int, **values: int | str | None) -> ServerSettings:
        async def update(tx: Transaction) -> GuildConfig:
            await credits_store.update_guild_config(tx, guild_id, **values)
            return await credits_store.guild_config(tx, guild_id)

        config = await self._db.write(update)
        log.info("server %d: settings changed: %s", guild_id, values)
        return ServerSettings.resolve(config, self.defaults)
