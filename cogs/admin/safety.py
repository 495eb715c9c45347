"""/safety: the safety_tolerance caps of a server and its channels."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import FluxBot
from bot.i18n import catalogue, tr
from bot.safety import cap_in_force
from cogs.common.admin_log import log_event
from cogs.common.context import CappableChannel, manage_server


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class Safety(commands.GroupCog, group_name="safety"):
    """Safety caps (Manage Server)"""

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command()
    @manage_server
    @app_commands.describe(
        level="Highest safety_tolerance allowed (1 strictest, 6 most permissive)",
        channel="Only this channel, its threads and posts (default: the whole server)",
    )
    async def cap(
        self,
        interaction: discord.Interaction[FluxBot],
        level: app_commands.Range[int, 1, 6],
        channel: CappableChannel | None = None,
    ) -> None:
        """Set the safety_tolerance cap"""
        assert interaction.guild_id is not None
        guilds = self.bot.services.guilds
        sfw_max = self.bot.services.settings.SFW_SAFETY_MAX
        await guilds.set_safety_cap(interaction.guild_id, level, channel.id if channel else None)
        where = channel.mention if channel else tr("this server")
        text = tr("The safety_tolerance cap for {where} is now {level}.", where=where,
                  level=level)
        if level > sfw_max and not (channel is not None and channel.is_nsfw()):
            text += " " + tr("Outside age-restricted channels the bot's limit of {sfw} still "
                             "applies.", sfw=sfw_max)
        await interaction.response.send_message(text.render(interaction.locale), ephemeral=True)
        await log_event(self.bot, interaction.guild_id,
                        tr("{admin} set the safety cap of {where} to {level}.",
                           admin=interaction.user.mention,
                           where=channel.mention if channel else tr("this server"), level=level))

    @app_commands.command()
    @manage_server
    async def show(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Show the caps in force, per channel"""
        assert interaction.guild is not None
        guilds = self.bot.services.guilds
        sfw_max = self.bot.services.settings.SFW_SAFETY_MAX
        server_cap, channel_caps = await guilds.safety_caps(interaction.guild.id)
        lang = catalogue(interaction.locale)
        lines = [tr("Server cap: {cap} (limit outside age-restricted channels: {sfw})",
                    cap=server_cap, sfw=sfw_max).render(lang)]
        channels = [c for c in interaction.guild.channels if isinstance(c, CappableChannel)]
        for channel in sorted(channels, key=lambda c: (c.position, c.id)):
            own = channel_caps.get(channel.id)
            cap = cap_in_force(
                server_cap=server_cap,
                channel_cap=own,
                age_restricted=channel.is_nsfw(),
                sfw_max=sfw_max,
            )
            detail = []
            if own is not None:
                detail.append(tr("channel cap {cap}", cap=own).render(lang))
            if channel.is_nsfw():
                detail.append(tr("age-restricted").render(lang))
            suffix = f" ({', '.join(detail)})" if detail else ""
            lines.append(f"{channel.mention}: {cap}{suffix}")
        await interaction.response.send_message("\n".join(lines)[:2000], ephemeral=True)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Safety(bot))
