"""The demo's world: the stand-ins, one server with one channel, one member, and the bot."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.support.harness import BotRunner, e2e_settings
from tests.support.standins.discord_api import Channel, DiscordStandIn, Message, User
from tests.support.standins.discord_interactions import StandInInteraction
from tests.support.standins.providers import ProviderStandIns

log = logging.getLogger(__name__)

# A word the demo's blocklist refuses, so a newcomer can see a refusal.
BLOCKED_WORD = "forbidden"


class DemoWorld:
    """Starts everything with `async with DemoWorld() as world`; stops it all on exit."""

    def __init__(self) -> None:
        self.discord = DiscordStandIn()
        self.providers = ProviderStandIns()
        self.interactions: list[StandInInteraction] = []
        self._stack = contextlib.AsyncExitStack()
        self._runner: BotRunner | None = None
        self.channel: Channel | None = None
        self.member: User | None = None

    async def __aenter__(self) -> DemoWorld:
        stack = self._stack
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fluxcord-demo-")))
        await stack.enter_async_context(self.discord)
        self.discord.install()
        await stack.enter_async_context(self.providers)
        guild = self.discord.add_guild("fluxcord demo")
        self.channel = guild.add_channel("general")
        self.member = self.discord.add_user("you", global_name="You")
        blocklist = folder / "blocklist.txt"
        blocklist.write_text(f"{BLOCKED_WORD}\n", encoding="utf-8")
        settings = e2e_settings(folder, self.discord, self.providers,
                                PLACEHOLDER_PROVIDER=True, BLOCKLIST_FILE=blocklist)
        self._runner = BotRunner(settings, self.discord)
        await self._runner.start()
        stack.push_async_callback(self._runner.stop)
        log.info("the bot is connected to the Discord stand-in")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self._stack.aclose()

    def command(self, name: str) -> dict[str, Any] | None:
        """The slash command `name` as the bot registered it (options and their limits)."""
        return next((c for c in self.discord.commands if c.get("name") == name), None)

    async def slash(self, name: str, options: dict[str, Any]) -> StandInInteraction:
        """The member runs `/name` in the channel; ValueError/LookupError when Discord's
        client would not let them (an unknown option, a value out of range)."""
        assert self.channel is not None and self.member is not None
        ix = await self.discord.slash(self.channel, self.member, name, **options)
        self.interactions.append(ix)
        return ix

    async def click(self, message_id: int, custom_id: str) -> StandInInteraction:
        """The member clicks the button `custom_id` on a message; LookupError when that
        message or button is gone."""
        assert self.member is not None
        message = self.discord.get_message(message_id)
        if message is None or message.deleted or message.find_component(custom_id) is None:
            raise LookupError("That message or button is gone.")
        ix = await self.discord.click(message, custom_id, self.member)
        self.interactions.append(ix)
        return ix

    def visible_messages(self) -> list[tuple[Message, bool]]:
        """What the member sees, oldest first: the channel's messages and the answers only
        they can see, each with whether it is private."""
        assert self.channel is not None
        seen: dict[int, tuple[Message, bool]] = {
            m.id: (m, False) for m in self.channel.messages if not m.deleted}
        for ix in self.interactions:
            for message in [ix.original, *ix.followups]:
                if message is not None and message.ephemeral and not message.deleted:
                    seen[message.id] = (message, True)
        return [seen[key] for key in sorted(seen)]
