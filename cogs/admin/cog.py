"""/server: the settings in force, which models are allowed, and the log channel.
Hidden from members without Manage Server (and checked again by the bot)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import texts
from bot.client import FluxBot
from bot.i18n import NAMES, tr, trn
from bot.replies import defer_private, reply
from cogs.admin.settings import show_settings
from cogs.common.admin_log import log_event
from cogs.common.context import MODEL_CHOICES, manage_server
from cogs.common.pages import PageButton

# The languages of /server language, each named in itself.
LANGUAGE_CHOICES = [app_commands.Choice(name=name, value=locale) for locale, name in NAMES.items()]
# Channels a log line can be posted in.
LogChannel = discord.TextChannel | discord.VoiceChannel | discord.StageChannel | discord.Thread


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class ServerCommands(commands.GroupCog, group_name="server"):
    """This server's settings (Manage Server)"""

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        # Previous/Next of /server settings and /credits history, also after a restart.
        self.bot.add_dynamic_items(PageButton)

    @app_commands.command()
    @manage_server
    async def settings(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Show everything in force in this server"""
        await show_settings(interaction)

    @app_commands.command()
    @manage_server
    @app_commands.describe(model="The model", enabled="Allowed here (true) or forbidden (false)")
    @app_commands.choices(model=MODEL_CHOICES)
    async def models(
        self, interaction: discord.Interaction[FluxBot], model: str, enabled: bool
    ) -> None:
        """Allow or forbid a model in this server"""
        assert interaction.guild_id is not None
        services = self.bot.services
        forbidden = await services.admin.set_model_allowed(interaction.guild_id, model, enabled)
        allowed = [texts.model_label(m) for m in services.router.offered() if m not in forbidden]
        state = "allowed" if enabled else "forbidden"
        text = (f"{texts.model_label(model)} is now {state} here. Allowed: "
                f"{texts.listing(allowed) or 'none'}.")
        config = await services.guilds.guild_config(interaction.guild_id)
        if not enabled and config.default_model == model:
            text += (" It is still this server's default model, so /imagine without a model "
                     "is refused: choose another with /default-model.")
        await interaction.response.send_message(text, ephemeral=True)
        event = (tr("{admin} allowed {model}.", admin=interaction.user.mention,
                    model=texts.model_label(model)) if enabled else
                 tr("{admin} forbidden {model}.", admin=interaction.user.mention,
                    model=texts.model_label(model)))
        await log_event(self.bot, interaction.guild_id, event)

    @app_commands.command()
    @manage_server
    @app_commands.describe(days="Erase prompts and job details older than this many days "
                                "(leave out: show the retention in force)")
    async def retention(self, interaction: discord.Interaction[FluxBot],
                        days: app_commands.Range[int, 1, 3650] | None = None) -> None:
        """How long prompts and job details are kept in this server"""
        assert interaction.guild_id is not None
        await defer_private(interaction)
        privacy = self.bot.services.privacy
        if days is None:
            await reply(interaction, (await privacy.retention(interaction.guild_id)).describe())
            return
        retention = await privacy.set_retention(interaction.guild_id, days)
        await reply(interaction, retention.describe() + " " + tr("Older ones go within the hour."))
        await log_event(self.bot, interaction.guild_id,
                        trn("{admin} set the retention of prompts to {n} day.",
                            "{admin} set the retention of prompts to {n} days.",
                            retention.days, admin=interaction.user.mention))

    @app_commands.command(name="log-channel")
    @manage_server
    @app_commands.describe(channel="Where admin events go (leave out: nowhere)")
    async def choose_log_channel(
        self, interaction: discord.Interaction[FluxBot], channel: LogChannel | None = None
    ) -> None:
        """Choose where the bot reports admin events here"""
        assert interaction.guild_id is not None
        await defer_private(interaction)
        admin = self.bot.services.admin
        await admin.set_log_channel(interaction.guild_id, channel.id if channel else None,
                                    interaction.user.id)
        if channel is None:
            await reply(interaction, tr("Admin events are no longer reported in a channel."))
            return
        text = f"Admin events will be reported in {channel.mention}."
        # The first line is the test: Discord's answer is the truth about permissions.
        posted = await log_event(
            self.bot, interaction.guild_id,
            tr("{admin} chose this channel for admin events.", admin=interaction.user.mention),
            warn_admin=False)
        if not posted:
            text += (" But the bot cannot post there yet: give it View Channel and Send "
                     "Messages in that channel.")
        await reply(interaction, text)

    @app_commands.command(name="language")
    @manage_server
    @app_commands.describe(language="The language of results, boards and the log channel")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def choose_language(self, interaction: discord.Interaction[FluxBot],
                              language: str) -> None:
        """Set the language of what everyone in this server sees"""
        assert interaction.guild_id is not None
        await self.bot.services.admin.set_language(interaction.guild_id, language)
        await reply(interaction, tr("Results, boards and the log channel are now in {language}.",
                                    language=NAMES[language]))


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(ServerCommands(bot))
