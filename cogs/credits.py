"""/credits: balances, grants, allowances and the server's daily budget."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import FluxBot
from cogs._common import ensure_manage_server, manage_server


def _when(epoch: float) -> str:
    return f"<t:{int(epoch)}:R>"


@app_commands.guild_only()
class Credits(commands.GroupCog, group_name="credits"):
    """Credits for generating images"""

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def _credits(self) -> Any:
        return self.bot.services.credits

    @app_commands.command()
    @app_commands.describe(member="Whose balance (needs Manage Server for someone else)")
    async def balance(
        self, interaction: discord.Interaction[FluxBot], member: discord.Member | None = None
    ) -> None:
        """Show a credit balance in this server"""
        assert interaction.guild_id is not None
        target = member or interaction.user
        if target.id != interaction.user.id:
            ensure_manage_server(interaction)
        balance = await self._credits.balance(interaction.guild_id, target.id)
        whose = "" if target.id == interaction.user.id else f" ({target.mention})"
        lines = [
            f"Balance: {balance.total} credits{whose}",
            f"Allowance left this period: {balance.allowance_left} of {balance.allowance_total}",
            f"Bonus credits: {balance.bonus}",
            f"Allowance refills {_when(balance.refills_at)}",
        ]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @app_commands.command()
    @manage_server
    @app_commands.describe(
        member="Who gets the credits",
        amount="Credits to add (negative removes, never below zero)",
        reason="Why (kept in the ledger)",
    )
    async def grant(
        self,
        interaction: discord.Interaction[FluxBot],
        member: discord.Member,
        amount: app_commands.Range[int, -1_000_000, 1_000_000],
        reason: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """Add or remove bonus credits (Manage Server)"""
        assert interaction.guild_id is not None
        balance = await self._credits.grant(
            interaction.guild_id, member.id, amount, reason or "granted by an admin",
            interaction.user.id,
        )
        verb = "Added" if amount >= 0 else "Removed"
        await interaction.response.send_message(
            f"{verb} {abs(amount)} bonus credits for {member.mention}. "
            f"Their balance: {balance.total} credits.",
            ephemeral=True,
        )

    @app_commands.command()
    @manage_server
    @app_commands.describe(
        amount="Credits each member gets per period",
        period_hours="How often the allowance refills, in hours (default 24)",
    )
    async def allowance(
        self,
        interaction: discord.Interaction[FluxBot],
        amount: app_commands.Range[int, 0, 1_000_000],
        period_hours: app_commands.Range[int, 1, 24 * 366] | None = None,
    ) -> None:
        """Set the per-member allowance (Manage Server)"""
        assert interaction.guild_id is not None
        await self.bot.services.guilds.set_allowance(interaction.guild_id, amount, period_hours)
        config = await self.bot.services.guilds.guild_config(interaction.guild_id)
        await interaction.response.send_message(
            f"Each member now gets {amount} credits every {config.period_hours} h.",
            ephemeral=True,
        )

    @app_commands.command()
    @manage_server
    @app_commands.describe(amount="The most credits the whole server may spend per day")
    async def budget(
        self,
        interaction: discord.Interaction[FluxBot],
        amount: app_commands.Range[int, 0, 100_000_000],
    ) -> None:
        """Set the server's daily spending budget (Manage Server)"""
        assert interaction.guild_id is not None
        await self.bot.services.guilds.set_budget(interaction.guild_id, amount)
        left = await self._credits.budget_left(interaction.guild_id)
        await interaction.response.send_message(
            f"This server may now spend {amount} credits per day ({left} left today).",
            ephemeral=True,
        )


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Credits(bot))
