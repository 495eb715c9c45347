"""/credits tier set|remove: a role's own allowance (Manage Server)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot import texts
from bot.client import FluxBot
from bot.i18n import tr
from cogs.common.admin_log import log_event
from cogs.common.context import manage_server


class TierCommands(app_commands.Group):
    """Role tiers: members with the role get its allowance when it is higher"""

    def __init__(self) -> None:
        super().__init__(name="tier", description="Give a role its own allowance (Manage Server)")

    @app_commands.command(name="set")
    @manage_server
    @app_commands.describe(
        role="The role",
        amount="Credits its members get per period",
        period_hours="How often it refills, in hours (default: the server's period)",
    )
    async def set_tier(
        self,
        interaction: discord.Interaction[FluxBot],
        role: discord.Role,
        amount: app_commands.Range[int, 0, 1_000_000],
        period_hours: app_commands.Range[int, 1, 24 * 366] | None = None,
    ) -> None:
        """Give a role its own allowance (Manage Server)"""
        assert interaction.guild_id is not None
        services = interaction.client.services
        await services.admin.set_tier(interaction.guild_id, role.id, amount, period_hours)
        config = await services.guilds.guild_config(interaction.guild_id)
        every = period_hours or config.period_hours
        text = f"Members with {role.mention} now get {texts.credits(amount)} every {every} h"
        if amount <= config.allowance:
            text += (f", which is no more than this server's allowance of "
                     f"{texts.credits(config.allowance)}: it changes nothing until that is lower")
        await interaction.response.send_message(text + ".", ephemeral=True)
        await log_event(interaction.client, interaction.guild_id,
                        tr("{admin} set the tier of {role} to {credits} every {hours} h.",
                           admin=interaction.user.mention, role=role.mention,
                           credits=texts.credits(amount), hours=every))

    @app_commands.command(name="remove")
    @manage_server
    @app_commands.describe(role="The role whose tier to remove")
    async def remove_tier(
        self, interaction: discord.Interaction[FluxBot], role: discord.Role
    ) -> None:
        """Remove a role's own allowance (Manage Server)"""
        assert interaction.guild_id is not None
        removed = await interaction.client.services.admin.remove_tier(
            interaction.guild_id, role.id)
        if not removed:
            await interaction.response.send_message(
                tr("{mention} has no tier; nothing changed.",
                   mention=role.mention).render(interaction.locale), ephemeral=True)
            return
        await interaction.response.send_message(
            tr("{mention} no longer has a tier: its members get the server's allowance.",
               mention=role.mention).render(interaction.locale),
            ephemeral=True)
        await log_event(interaction.client, interaction.guild_id,
                        tr("{admin} removed the tier of {role}.", admin=interaction.user.mention,
                           role=role.mention))
