"""/credits: balances, history, grants, allowances and tiers, the daily budget, reports.

Discord can hide a whole command from members without a permission, not one subcommand,
and /credits balance and history stay open to everyone; so the admin subcommands here
check Manage Server themselves (and /server, all admin, is hidden)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import mentions, texts
from bot.client import FluxBot
from bot.i18n import Text, join, tr, trn
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
        tier = (tr("the tier of {role}", role=mentions.role(balance.tier_role_id))
                if balance.tier_role_id else tr("this server's allowance"))
        lines = [
            tr("Balance: {credits}{whose}", credits=texts.credits(balance.total), whose=whose),
            tr("Allowance left this period: {left} of {total} ({tier})",
               left=balance.allowance_left, total=balance.allowance_total, tier=tier),
            tr("Bonus credits: {bonus}", bonus=balance.bonus),
            tr("Allowance refills {when}", when=_when(balance.refills_at)),
        ]
        await interaction.response.send_message(join(lines, "\n").render(interaction.locale),
                                                ephemeral=True)

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
            text = tr("Added {credits} for {member}.", credits=_bonus(moved),
                      member=member.mention)
        elif moved == amount:
            # Never below zero: say what was really removed, not what was asked.
            text = tr("Removed {credits} from {member}.", credits=_bonus(-moved),
                      member=member.mention)
        else:
            text = tr("Removed {credits} from {member} (they had only {had}).",
                      credits=_bonus(-moved), member=member.mention, had=-moved)
        await interaction.response.send_message(
            tr("{text} Their balance: {credits}.", text=text,
               credits=texts.credits(balance.total)).render(interaction.locale), ephemeral=True)
        who = {"admin": interaction.user.mention, "credits": _bonus(abs(moved)),
               "member": member.mention}
        typed = mentions.typed(reason) if reason else ""
        if amount >= 0:
            event = (tr("{admin} granted {credits} to {member}: {reason}", reason=typed, **who)
                     if reason else tr("{admin} granted {credits} to {member}.", **who))
        else:
            event = (tr("{admin} removed {credits} from {member}: {reason}", reason=typed,
                        **who)
                     if reason else tr("{admin} removed {credits} from {member}.", **who))
        await log_event(self.bot, interaction.guild_id, event)

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
            text = tr("Each member gets {credits} every {hours} h.",
                      credits=texts.credits(config.allowance), hours=config.period_hours)
            if tiers:
                text += " " + trn("{n} role tier gives more: see `/server settings`.",
                                  "{n} role tiers give more: see `/server settings`.",
                                  len(tiers))
            await interaction.response.send_message(text.render(interaction.locale),
                                                    ephemeral=True)
            return
        services.admin.check_allowance(amount)
        if amount is None:
            amount = (await services.guilds.guild_config(interaction.guild_id)).allowance
        config = await services.guilds.set_allowance(interaction.guild_id, amount, period_hours)
        text = tr("Each member now gets {credits} every {hours} h.",
                  credits=texts.credits(amount), hours=config.period_hours)
        await interaction.response.send_message(text.render(interaction.locale), ephemeral=True)
        await log_event(self.bot, interaction.guild_id,
                        tr("{admin} set the allowance to {credits} every {hours} h.",
                           admin=interaction.user.mention, credits=texts.credits(amount),
                           hours=config.period_hours))

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
                tr("This server may spend {budget} per day; {spent} spent today, {left} "
                   "left. It resets at midnight UTC.",
                   budget=texts.credits(config.daily_budget),
                   spent=texts.credits(config.daily_budget - left),
                   left=texts.credits(left)).render(interaction.locale),
                ephemeral=True)
            return
        services.admin.check_budget(amount)
        await services.guilds.set_budget(interaction.guild_id, amount)
        left = await self._credits.budget_left(interaction.guild_id)
        await interaction.response.send_message(
            tr("This server may now spend {budget} per day ({left} left today).",
               budget=texts.credits(amount), left=texts.credits(left)
               ).render(interaction.locale),
            ephemeral=True,
        )
        await log_event(self.bot, interaction.guild_id,
                        tr("{admin} set the daily budget to {credits}.",
                           admin=interaction.user.mention, credits=texts.credits(amount)))


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Credits(bot))
