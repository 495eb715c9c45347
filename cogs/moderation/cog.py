"""/moderation: a server's blocklist, members' strikes and blocks, and the review channel
where appeals are decided (SPEC section 7). Manage Server; hidden from other members."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import FluxBot
from bot.i18n import render, tr, trn
from bot.mentions import in_code
from bot.moderation.blocklist import MAX_ENTRY_LENGTH
from bot.moderation.events import admin_event
from bot.moderation.service import Moderation
from cogs.common.admin_log import log_event
from cogs.common.context import manage_server
from cogs.common.job.refusal import NO_MENTIONS, AppealButton
from cogs.moderation.review import ApproveButton, RejectButton

MESSAGE_LIMIT = 2000
LAST_POSTS_SECONDS = 5.0


async def _answer(interaction: discord.Interaction[FluxBot], text: str) -> None:
    text = render(text, interaction.locale)
    await interaction.response.send_message(text[:MESSAGE_LIMIT], ephemeral=True,
                                            allowed_mentions=NO_MENTIONS)


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class ModerationCog(commands.GroupCog, group_name="moderation"):
    """Blocklist, strikes, blocks and appeals (Manage Server)"""

    blocklist = app_commands.Group(name="blocklist", description="This server's blocklist")

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        self._posts: set[asyncio.Task[bool]] = set()
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AppealButton, ApproveButton, RejectButton)
        # The domain reports its actions through a callback; here they reach the
        # server's log channel like every other admin event.
        self._moderation.report_with(self._report)

    async def cog_unload(self) -> None:
        self._moderation.report_with(None)
        if self._posts:  # a stop: give the last log lines a moment, then let them go
            await asyncio.wait(self._posts, timeout=LAST_POSTS_SECONDS)

    async def _report(self, guild_id: int, text: str) -> None:
        await admin_event(guild_id, text)
        # Posted beside the answer, not before it: a refusal or a reply must not wait for
        # the log channel's rate limit. log_event handles its own failures.
        task = asyncio.create_task(log_event(self.bot, guild_id, text))
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)

    @property
    def _moderation(self) -> Moderation:
        return self.bot.services.moderation

    @blocklist.command(name="add")
    @manage_server
    @app_commands.describe(entry="A word, a phrase, or /regex/")
    async def blocklist_add(self, interaction: discord.Interaction[FluxBot],
                            entry: app_commands.Range[str, 1, MAX_ENTRY_LENGTH]) -> None:
        """Block prompts that contain a word, a phrase or match /regex/"""
        assert interaction.guild_id is not None
        # A regex is probed against hostile input, which can take a moment.
        await interaction.response.defer(ephemeral=True, thinking=True)
        added = await self._moderation.add_entry(interaction.guild_id, entry,
                                                 interaction.user.id)
        await interaction.edit_original_response(
            content=tr("Added `{shown}` ({kind}) to this server's blocklist.",
                       shown=in_code(added.text), kind=added.kind).render(interaction.locale),
            allowed_mentions=NO_MENTIONS)

    @blocklist.command(name="remove")
    @manage_server
    @app_commands.describe(entry="The entry, as it was added")
    async def blocklist_remove(self, interaction: discord.Interaction[FluxBot],
                               entry: app_commands.Range[str, 1, MAX_ENTRY_LENGTH]) -> None:
        """Remove an entry from this server's blocklist"""
        assert interaction.guild_id is not None
        removed = await self._moderation.remove_entry(interaction.guild_id, entry,
                                                      interaction.user.id)
        await _answer(interaction, tr("Removed `{entry}` from this server's blocklist.",
                                      entry=in_code(removed)))

    @blocklist.command(name="show")
    @manage_server
    async def blocklist_show(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Show this server's blocklist"""
        assert interaction.guild_id is not None
        entries = await self._moderation.entries(interaction.guild_id)
        operator = len(self._moderation.operator)
        lines = [trn("This server's blocklist has {n} entry; the bot's own list has {operator}.",
                     "This server's blocklist has {n} entries; the bot's own list has "
                     "{operator}.", len(entries), operator=operator
                     ).render(interaction.locale)]
        lines += [f"- `{in_code(e)}`" for e in entries]
        text = "\n".join(lines)
        if len(text) > MESSAGE_LIMIT:
            text = text[:MESSAGE_LIMIT - 2].rsplit("\n", 1)[0] + "\n…"
        await _answer(interaction, text)

    @app_commands.command()
    @manage_server
    @app_commands.describe(member="Whose strikes to show")
    async def strikes(self, interaction: discord.Interaction[FluxBot],
                      member: discord.User) -> None:
        """Show a member's strikes, cooldown and block"""
        assert interaction.guild_id is not None
        report = await self._moderation.report(interaction.guild_id, member.id)
        await _answer(interaction, report.describe(member.mention))

    @app_commands.command()
    @manage_server
    @app_commands.describe(member="Whose strikes and cooldown to clear")
    async def pardon(self, interaction: discord.Interaction[FluxBot],
                     member: discord.User) -> None:
        """Clear a member's strikes and cooldown"""
        assert interaction.guild_id is not None
        cleared = await self._moderation.pardon(interaction.guild_id, member.id,
                                                interaction.user.id)
        await _answer(interaction, trn("Pardoned {member}: {n} recent strike and any cooldown "
                                       "cleared.",
                                       "Pardoned {member}: {n} recent strikes and any cooldown "
                                       "cleared.", cleared, member=member.mention))

    @app_commands.command()
    @manage_server
    @app_commands.describe(member="Who may no longer generate here",
                           reason="Shown to the member when they try")
    async def block(self, interaction: discord.Interaction[FluxBot], member: discord.User,
                    reason: app_commands.Range[str, 1, 300] | None = None) -> None:
        """Stop a member from generating images in this server"""
        assert interaction.guild_id is not None
        await self._moderation.block(interaction.guild_id, member.id, reason,
                                     interaction.user.id)
        await _answer(interaction, tr("Blocked {member} from generating images here.",
                                      member=member.mention))

    @app_commands.command()
    @manage_server
    @app_commands.describe(member="Who may generate again")
    async def unblock(self, interaction: discord.Interaction[FluxBot],
                      member: discord.User) -> None:
        """Let a blocked member generate images again"""
        assert interaction.guild_id is not None
        done = await self._moderation.unblock(interaction.guild_id, member.id,
                                              interaction.user.id)
        text = (tr("Unblocked {member}.", member=member.mention) if done
                else tr("{member} was not blocked.", member=member.mention))
        await _answer(interaction, text)

    @app_commands.command(name="review-channel")
    @manage_server
    @app_commands.describe(channel="Where appeals go (leave empty to turn appeals off)")
    async def review_channel(self, interaction: discord.Interaction[FluxBot],
                             channel: discord.TextChannel | None = None) -> None:
        """Set the channel where moderators review appeals"""
        assert interaction.guild_id is not None
        await self._moderation.set_review_channel(
            interaction.guild_id, channel.id if channel else None, interaction.user.id)
        text = (tr("Appeals now go to {channel}; refusals offer an Appeal button.",
                   channel=channel.mention)
                if channel else tr("Appeals are off: refusals no longer offer an Appeal button."))
        await _answer(interaction, text)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(ModerationCog(bot))
