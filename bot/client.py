"""The discord.py side of the spine: the Bot subclass and the CommandTree that owns errors."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import mentions
from bot.channels import channel_lookup
from bot.errors import UserError
from bot.fleet import Fleet, ShardSet, alone
from bot.i18n import Text, tr
from bot.i18n.commands import CatalogueTranslator, catalogue_digest
from bot.recovery import Recovery
from bot.replies import reply
from bot.services import Services
from bot.shards import IdentifyPacer, client_options, identify_pacer_for
from bot.texts import listing

log = logging.getLogger(__name__)

COGS = (
    "cogs.imagine.cog", "cogs.credits.cog", "cogs.admin.safety", "cogs.help.models",
    "cogs.admin.default_model", "cogs.help.cog", "cogs.moderation.cog", "cogs.boards.cog",
    "cogs.history.cog", "cogs.admin.cog", "cogs.continuity.cog", "cogs.presets.cog",
    "cogs.edit.cog", "cogs.privacy.cog", "cogs.provenance.cog", "cogs.blend.cog",
    "cogs.tools.cog",
)
COMMANDS_HASH_KEY = "commands_hash"
# Discord's names for permissions, as members see them in the client.
_PERMISSION_NAMES = {"manage_guild": tr("Manage Server"),
                     "manage_messages": tr("Manage Messages")}


class FluxTree(app_commands.CommandTree["FluxBot"]):
    """Turns every command error into a private reply; logs the unexpected ones."""

    async def interaction_check(self, interaction: discord.Interaction[FluxBot]) -> bool:
        return await interaction.client.allowed_here(interaction)

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
    message: str | Text
    if isinstance(cause, UserError):
        message = cause.render(interaction.locale)
    elif isinstance(cause, app_commands.MissingPermissions):
        needed = listing([_PERMISSION_NAMES.get(p) or tr(p) for p in cause.missing_permissions])
        message = tr("You need the {permission} permission for this.", permission=needed)
    elif isinstance(cause, app_commands.CommandOnCooldown):
        message = tr("You did this a moment ago. Try again {when}.",
                     when=mentions.relative(time.time() + cause.retry_after))
    elif isinstance(cause, app_commands.TransformerError | app_commands.CheckFailure):
        message = str(cause) or tr("You cannot use this command here.")
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
        message = tr("Something went wrong on our side. It has been logged; please try again.")
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


class FluxBot(commands.AutoShardedBot):
    def __init__(
        self,
        services: Services,
        *,
        force_sync: bool = False,
        fleet: Fleet | None = None,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        # Discord does not offer the commands in DMs unless the operator allows DMs.
        contexts = app_commands.AppCommandContext(
            guild=True, dm_channel=services.settings.ALLOW_DMS, private_channel=False
        )
        super().__init__(
            command_prefix=commands.when_mentioned,
            tree_cls=FluxTree,
            allowed_contexts=contexts,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            **{**client_options(services.settings), **options},
        )
        self.services = services
        # Each job reads its channel's age restriction from this client when it starts.
        services.jobs.read_channels_with(channel_lookup(self))
        self._force_sync = force_sync
        self.identify_pacer = IdentifyPacer()
        # The shards this process holds (bot.fleet): the jobs it alone recovers.
        self.fleet = fleet or alone(ShardSet.from_settings(services.settings))
        self._recovery = Recovery(self, services.credits, services.records, clock,
                                  shards=self.fleet.shards)
        self.recovery = self._recovery
        self.recovered = asyncio.Event()
        """Set once the jobs a previous run left unfinished have been dealt with."""

    async def launch_shards(self) -> None:
        # Discord says how many sessions may start at once; discord.py does not ask.
        self.identify_pacer = await identify_pacer_for(self)
        await super().launch_shards()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        shard = shard_id or 0
        # Discord counts the identifies of all the bot's processes together.
        await self.fleet.identify_turn(shard % self.identify_pacer.max_concurrency)
        await self.identify_pacer.wait(shard)

    async def setup_hook(self) -> None:
        for cog in COGS:
            await self.load_extension(cog)
        await self.tree.set_translator(CatalogueTranslator())
        await self.sync_commands_if_changed(force=self._force_sync)
        # Before connecting: no job of this run exists yet to be mistaken for a lost one.
        await self._recovery.before_connect()

    async def allowed_here(self, interaction: discord.Interaction[Any]) -> bool:
        """Commands, buttons and modals alike: direct messages only when the operator allows
        them. A refusal is answered here, privately."""
        if interaction.guild_id is None and not self.services.settings.ALLOW_DMS:
            await reply(interaction, tr("fluxcord works in servers only."), ephemeral=True)
            return False
        return True

    def commands_hash(self) -> str:
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands()]
        # The translated descriptions are part of what is registered.
        described = {"commands": payload, "catalogues": catalogue_digest()}
        return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()

    async def sync_commands_if_changed(self, *, force: bool = False) -> bool:
        """Registers the slash commands globally only when they differ from the last time.

        Processes starting together take turns, so only the first registers them."""
        store = self.services.store
        current = self.commands_hash()
        async with self.fleet.one_at_a_time("commands"):
            if not force and await store.get_meta(COMMANDS_HASH_KEY) == current:
                log.info("slash commands unchanged; not registering them again")
                return False
            await self.tree.sync()
            await store.set_meta(COMMANDS_HASH_KEY, current)
        log.info("registered %d slash commands", len(self.tree.get_commands()))
        return True

    async def close(self) -> None:
        """Refunds the jobs still running (a stop's grace period is over) while Discord is
        still reachable, so their members are told, then disconnects."""
        await self.services.jobs.cancel_all()
        await super().close()

    async def on_ready(self) -> None:
        servers = len(self.guilds)
        log.info(
            "ready as %s in %d server%s on shards %s of %s",
            self.user, servers, "" if servers == 1 else "s", sorted(self.shards),
            self.shard_count,
        )
        if not self.recovered.is_set():
            # Now the bot knows its channels and its permissions in them.
            try:
                await self._recovery.after_ready()
            finally:
                self.recovered.set()
