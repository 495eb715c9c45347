"""The discord.py side of the spine: the Bot subclass and the CommandTree that owns errors."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserError
from bot.replies import reply

if TYPE_CHECKING:
    from bot.credits import Credits
    from bot.guilds import Guilds
    from bot.jobs import JobService
    from bot.providers.router import Router
    from bot.settings import Settings
    from bot.storage import Store
    from bot.storage.records import JobRecords

log = logging.getLogger(__name__)

COGS = ("cogs.imagine", "cogs.credits", "cogs.safety", "cogs.models", "cogs.server")
COMMANDS_HASH_KEY = "commands_hash"
# Discord's names for permissions, as members see them in the client.
_PERMISSION_NAMES = {"manage_guild": "Manage Server", "manage_messages": "Manage Messages"}


@dataclass(slots=True)
class Services:
    """The long-lived domain objects, opened once by the entry point."""

    settings: Settings
    store: Store
    credits: Credits
    guilds: Guilds
    records: JobRecords
    router: Router
    jobs: JobService


class FluxTree(app_commands.CommandTree["FluxBot"]):
    """Turns every command error into a private reply; logs the unexpected ones."""

    async def interaction_check(self, interaction: discord.Interaction[FluxBot]) -> bool:
        if interaction.guild_id is None and not interaction.client.services.settings.ALLOW_DMS:
            await reply(interaction, "fluxcord works in servers only.", ephemeral=True)
            return False
        return True

    async def on_error(
        self,
        interaction: discord.Interaction[FluxBot],
        error: app_commands.AppCommandError,
    ) -> None:
        cause: BaseException = error
        if isinstance(error, app_commands.CommandInvokeError):
            cause = error.original
        await report_error(interaction, cause)


async def report_error(interaction: discord.Interaction[Any], cause: BaseException) -> None:
    """The single place an error becomes what the user reads (privately) and the log keeps.

    Used by the tree for commands and by the buttons and modals, which discord.py does
    not route through the tree.
    """
    if isinstance(cause, UserError):
        message = cause.message
    elif isinstance(cause, app_commands.MissingPermissions):
        needed = ", ".join(_PERMISSION_NAMES.get(p, p) for p in cause.missing_permissions)
        message = f"You need the {needed} permission for this."
    elif isinstance(cause, app_commands.TransformerError | app_commands.CheckFailure):
        message = str(cause) or "You cannot use this command here."
    else:
        command = interaction.command.qualified_name if interaction.command else None
        data: Any = interaction.data or {}
        custom_id = data.get("custom_id")
        log.error(
            "%s failed for user %s in guild %s with options %s",
            repr(command) if command else f"component {custom_id!r}",
            interaction.user.id,
            interaction.guild_id,
            _options_for_log(interaction),
            exc_info=cause,
        )
        message = "Something went wrong on our side. It has been logged; please try again."
    try:
        await reply(interaction, message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell user %s about an error", interaction.user.id)


def _options_for_log(interaction: discord.Interaction[Any]) -> dict[str, Any]:
    data: Any = interaction.data or {}
    options = data.get("options", [])
    while options and options[0].get("type") in (1, 2):  # subcommand (group)
        options = options[0].get("options", [])
    return {o.get("name"): o.get("value") for o in options}


class FluxBot(commands.Bot):
    def __init__(self, services: Services, *, force_sync: bool = False, **options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),
            tree_cls=FluxTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.services = services
        self._force_sync = force_sync

    async def setup_hook(self) -> None:
        for cog in COGS:
            await self.load_extension(cog)
        await self.sync_commands_if_changed(force=self._force_sync)
        from bot.recovery import recover_unfinished_jobs

        await recover_unfinished_jobs(self)

    def commands_hash(self) -> str:
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands()]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands_if_changed(self, *, force: bool = False) -> bool:
        """Registers the slash commands globally only when they differ from the last time."""
        store = self.services.store
        current = self.commands_hash()
        if not force and await store.get_meta(COMMANDS_HASH_KEY) == current:
            log.info("slash commands unchanged; not registering them again")
            return False
        await self.tree.sync()
        await store.set_meta(COMMANDS_HASH_KEY, current)
        log.info("registered %d slash commands", len(self.tree.get_commands()))
        return True

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers", self.user, len(self.guilds))
