"""/credits: balances, history, grants, allowances and tiers, the daily budget, reports.

Discord can hide a whole command from members without a permission, not one subcommand,
and /credits balance and history stay open to everyone; so the admin subcommands here
check Manage Server themselves (and /server, all admin, is hidden)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import texts
from bot.client import FluxBot
from bot.i18n import Text, trn
from cogs.common.admin_log import log_event
from cogs.common.context import ensure_manage_server, manage_server, role_ids_of
from cogs.credits.history import show_history
from cogs.credits.report import send_report
from cogs.credits.tiers import TierCommands


def _when(epoch: float) -> str:
    return f"<t:{int(epoch)}:R>"


def _bonus(n: int) -> Text:
    """`1 bonus credit`, `1,000 bonus credits`."""
    return trn("{n} bonus credit", "{n} bonus credits", n)


def _member_roles(member: discord.Member | discord.User) -> tuple[int, ...]:
    return tuple(r.id for r in member.roles) if isinstance(member, discord.Member) else ()


@app_commands.guild_only()
class Credits(commands.GroupCog, group_name="credits"):
    """Credits for generating images"""

    tier = TierCommands()

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
        roles = role_ids_of(interaction) if member is None else _member_roles(member)
        balance = await self._credits.balance(interaction.guild_id, target.id, roles)
        whose = "" if target.id == interaction.user.id else f" ({target.mention})"
        tier = (f"the tier of <@&{balance.tier_role_id}>" if balance.tier_role_id
                else "this server's allowance")
        lines = [
            f"Balance: {texts.credits(balance.total)}{whose}",
            f"Allowance left this period: {balance.allowance_left} of {balance.allowance_total}"
            f" ({tier})",
            f"Bonus credits: {balance.bonus}",
            f"Allowance refills {_when(balance.refills_at)}",
        ]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @app_commands.command()
    @app_commands.describe(member="Whose history (needs Manage Server for someone else)")
    async def history(
        self, interaction: discord.Interaction[FluxBot], member: discord.Member | None = None
    ) -> None:
        """Show the credit changes of a member here, newest first"""
        await show_history(interaction, (member or interaction.user).id)

    @app_commands.command()
    @manage_server
    @app_commands.describe(
        days="How many days back (default 7)",
        member="Only this member's credits",
    )
    async def report(
        self,
        interaction: discord.Interaction[FluxBot],
        days: app_commands.Range[int, 1, 366] = 7,
        member: discord.Member | None = None,
    ) -> None:
        """Report where the credits went, with a CSV of the ledger (Manage Server)"""
        await send_report(interaction, days, member)

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
            interaction.user.id, _member_roles(member),
        )
        moved = balance.change
        if amount >= 0:
            text = f"Added {_bonus(moved)} for {member.mention}."
        else:
            # Never below zero: say what was really removed, not what was asked.
            text = f"Removed {_bonus(-moved)} from {member.mention}"
            text += "." if moved == amount else f" (they had only {-moved})."
        await interaction.response.send_message(
            f"{text} Their balance: {texts.credits(balance.total)}.", ephemeral=True)
        verb = "granted" if amount >= 0 else "removed"
        await log_event(self.bot, interaction.guild_id,
                        f"{interaction.user.mention} {verb} {_bonus(abs(moved))} "
                        f"{'to' if amount >= 0 else 'from'} {member.mention}"
                        + (f": {reason}" if reason else "."))

    @app_commands.command()
    @manage_server
    @app_commands.describe(
        amount="Credits each member gets per period (leave out to see the one in force)",
        period_hours="How often the allowance refills, in hours (default 24)",
    )
    async def allowance(
        self,
        interaction: discord.Interaction[FluxBot],
        amount: app_commands.Range[int, 0, 1_000_000] | None = None,
        period_hours: app_commands.Range[int, 1, 24 * 366] | None = None,
    ) -> None:
        """Show or set the per-member allowance (Manage Server)"""
        assert interaction.guild_id is not None
        services = self.bot.services
        if amount is None and period_hours is None:
            config = await services.guilds.guild_config(interaction.guild_id)
            tiers = await services.admin.tiers(interaction.guild_id)
            text = (f"Each member gets {texts.credits(config.allowance)} every "
                    f"{config.period_hours} h.")
            if tiers:
                text += f" {len(tiers)} role tier{'s' if len(tiers) != 1 else ''} give more: "
                text += "see `/server settings`."
            await interaction.response.send_message(text, ephemeral=True)
            return
        services.admin.check_allowance(amount)
        if amount is None:
            amount = (await services.guilds.guild_config(interaction.guild_id)).allowance
        config = await services.guilds.set_allowance(interaction.guild_id, amount, period_hours)
        text = f"Each member now gets {texts.credits(amount)} every {config.period_hours} h."
        await interaction.response.send_message(text, ephemeral=True)
        await log_event(self.bot, interaction.guild_id,
                        f"{interaction.user.mention} set the allowance to "
                        f"{texts.credits(amount)} every {config.period_hours} h.")

    @app_commands.command()
    @manage_server
    @app_commands.describe(
        amount="The most credits the whole server may spend per day (leave out to see it)")
    async def budget(
        self,
        interaction: discord.Interaction[FluxBot],
        amount: app_commands.Range[int, 0, 100_000_000] | None = None,
    ) -> None:
        """Show or set the server's daily spending budget (Manage Server)"""
        assert interaction.guild_id is not None
        services = self.bot.services
        if amount is None:
            config = await services.guilds.guild_config(interaction.guild_id)
            left = await self._credits.budget_left(interaction.guild_id)
            await interaction.response.send_message(
                f"This server may spend {texts.credits(config.daily_budget)} per day; "
                f"{texts.credits(config.daily_budget - left)} spent today, "
                f"{texts.credits(left)} left. It resets at midnight UTC.",
                ephemeral=True)
            return
        services.admin.check_budget(amount)
        await services.guilds.set_budget(interaction.guild_id, amount)
        left = await self._credits.budget_left(interaction.guild_id)
        await interaction.response.send_message(
            f"This server may now spend {texts.credits(amount)} per day "
            f"({texts.credits(left)} left today).",
            ephemeral=True,
        )
        await log_event(self.bot, interaction.guild_id,
                        f"{interaction.user.mention} set the daily budget to "
                        f"{texts.credits(amount)}.")


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Credits(bot))
