"""The whole bot, in-process, against the Discord and provider stand-ins on 127.0.0.1.

`BotRunner` starts fluxcord exactly as `python -m bot` does (open_services + FluxBot),
with tiny provider timings, and can stop and start it again on the same database to
play a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.app import open_services
from bot.client import FluxBot
from bot.fleet import ShardSet, hold_shards
from bot.providers.http import ProviderTiming, RetryPolicy
from bot.services import Services
from bot.settings import Settings
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns

E2E_TIMING = ProviderTiming(
    connect=2.0, sync_read=5.0, poll_read=2.0, poll_interval=0.01, poll_deadline=5.0,
    download_read=2.0, download_attempts=2, download_backoff=0.01,
)
E2E_POLICY = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05, retry_after_cap=0.2)


def e2e_settings(
    tmp_path: Path, discord: DiscordStandIn, providers: ProviderStandIns | None, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "DISCORD_TOKEN": discord.token,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fluxcord.db'}",
    }
    if providers is not None:
        values.update(providers.settings_env())
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class BotRunner:
    """Runs fluxcord against the stand-ins; `await start()`, `await stop()`, again."""

    def __init__(
        self,
        settings: Settings,
        discord: DiscordStandIn,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.discord = discord
        self.clock = clock
        self.bot: FluxBot | None = None
        self.services: Services | None = None
        self.starts = 0
        self._stack: contextlib.AsyncExitStack | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> FluxBot:
        self._stack = contextlib.AsyncExitStack()
        self.services = await self._stack.enter_async_context(
            open_services(self.settings, clock=self.clock, timing=E2E_TIMING, policy=E2E_POLICY)
        )
        fleet = await self._stack.enter_async_context(hold_shards(
            self.services.store, ShardSet.from_settings(self.settings),
            self.settings.database_name))
        bot = FluxBot(self.services, fleet=fleet, clock=self.clock or time.time,
                      guild_ready_timeout=0.05)
        self.bot = bot
        identified = self.discord.gateway.identify_count
        await bot.login(self.settings.DISCORD_TOKEN.get_secret_value())
        self._task = asyncio.create_task(bot.connect(reconnect=False))
        self.starts += 1
        await self.discord.wait_for_ready(timeout=10, min_identifies=identified + 1)
        await asyncio.wait_for(bot.wait_until_ready(), timeout=10)
        await asyncio.wait_for(bot.recovered.wait(), timeout=10)
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=5)
        if self._stack is not None:
            await self._stack.aclose()
        self.bot = self.services = None
        self._task = self._stack = None

    async def restart(self) -> FluxBot:
        await self.stop()
        return await self.start()

    async def audit(self) -> list[str]:
        assert self.services is not None
        return await self.services.credits.audit()
