"""/privacy export and /privacy forget-me: a member sees, or erases, what fluxcord keeps
about them in every server (SPEC section 13). Both answer privately. And the hourly
erasure of prompts past each server's retention (`/server retention`)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.client import FluxBot
from bot.i18n import catalogue, tr
from bot.privacy import fit_export
from bot.privacy.store import Erased
from bot.replies import defer_private
from cogs.common.admin_log import log_event
from cogs.common.job.confirm import ask
from cogs.common.job.delivery import discord_file
from cogs.common.language import guild_language

log = logging.getLogger(__name__)

FILES_PER_MESSAGE = 10  # Discord's limit
UPLOAD_HEADROOM = 64 * 1024  # room for the multipart envelope around each file
# Each command reads or rewrites every table for the member, across servers: a few times
# a minute is enough for anyone, and keeps one member from holding the database busy.
TIMES_A_MINUTE = 3
ERASED_NOTE = tr("(erased at the member's request)")
WHAT_GOES = tr(
    "This erases, in every server where fluxcord knows you: your prompts and the options "
    "of your images (also of a job still running), your presets and preferences, your "
    "/history and prompt suggestions, the texts of your strikes and appeals, the input "
    "images kept for your jobs, and the moodboard items you added (their posts in board "
    "threads are deleted; posts of your images others added lose your prompt). Your credit "
    "balances and the servers' credit records (without prompts) stay, and so do the images "
    "already posted in channels. This cannot be undone."
)


def _member(interaction: discord.Interaction[FluxBot]) -> int:
    """Whose uses the privacy commands' limit counts: the member's, in every server."""
    return interaction.user.id


HOW = {
    "plain": tr("Everything fluxcord keeps about you, in every server, is in this JSON file."),
    "compressed": tr("Everything fluxcord keeps about you, in every server, is in this "
                     "gzip-compressed JSON file (.json.gz): it was too large as it is."),
    "split": tr("Everything fluxcord keeps about you, in every server, is in this gzip-"
                "compressed JSON file, split into {count} numbered parts to fit the upload "
                "limit: join them in order (e.g. {command}), then decompress."),
}


class Privacy(commands.Cog):
    """What a member may ask about their own data."""

    privacy = app_commands.Group(name="privacy",
                                 description="See or erase what fluxcord keeps about you")

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.expire.start()

    async def cog_unload(self) -> None:
        self.expire.cancel()

    @tasks.loop(hours=1)
    async def expire(self) -> None:
        """Erases prompts and job details past each server's retention."""
        try:
            await self.bot.services.privacy.expire()
        except Exception:
            log.exception("erasing prompts past their retention failed")

    @privacy.command(name="export")
    @app_commands.checks.cooldown(TIMES_A_MINUTE, 60.0, key=_member)
    async def export(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Get everything fluxcord keeps about you, as a private JSON file"""
        await defer_private(interaction)
        document = await self.bot.services.privacy.export(interaction.user.id,
                                                          catalogue(interaction.locale))
        limit = max(interaction.filesize_limit - UPLOAD_HEADROOM, 64 * 1024)
        made, how = fit_export(document, limit, f"fluxcord-data-{interaction.user.id}")
        files = [discord_file(f.data, f.filename) for f in made]
        await interaction.edit_original_response(
            content=tr(HOW[how].msgid, count=len(files),
                       command="`cat name.json.gz.* > name.json.gz`"
                       ).render(interaction.locale), attachments=files[:FILES_PER_MESSAGE])
        for start in range(FILES_PER_MESSAGE, len(files), FILES_PER_MESSAGE):
            await interaction.followup.send(files=files[start:start + FILES_PER_MESSAGE],
                                            ephemeral=True)

    @privacy.command(name="forget-me")
    @app_commands.checks.cooldown(TIMES_A_MINUTE, 60.0, key=_member)
    async def forget_me(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Erase your prompts, presets, preferences and history in every server"""
        await defer_private(interaction)
        if not await ask(interaction, WHAT_GOES):
            await interaction.edit_original_response(
                content=tr("Nothing was erased.").render(interaction.locale), view=None)
            return
        erased = await self.bot.services.privacy.forget(interaction.user.id)
        left = await tidy_discord(self.bot, erased)
        for guild_id in erased.servers:
            await log_event(self.bot, guild_id,
                            tr("{member} used /privacy forget-me.",
                               member=interaction.user.mention))
        text = tr("Done: what fluxcord kept about you is erased, in every server.")
        if left:
            text += tr(" {count} of the bot's posts about your prompts could not be changed "
                       "on Discord; a server's moderators can remove them.", count=left)
        await interaction.edit_original_response(content=text.render(interaction.locale),
                                                 view=None)


async def tidy_discord(bot: FluxBot, erased: Erased) -> int:
    """Edits the review channel's posts of the member's prompts, deletes the board items
    they added from the threads, and takes their prompt off the posts of their images
    others added; returns how many could not be changed (a message already gone counts
    as done)."""
    failed = 0
    for post in erased.review_posts:
        message = bot.get_partial_messageable(
            post.channel_id, guild_id=post.guild_id).get_partial_message(post.message_id)
        lang = await guild_language(bot, post.guild_id)  # the review channel's readers
        notice = discord.Embed(title=tr("Appeal").render(lang),
                               description=ERASED_NOTE.render(lang),
                               colour=discord.Colour.light_grey())
        try:
            await message.edit(content=None, embed=notice, view=None)
        except discord.NotFound:
            pass
        except discord.HTTPException as exc:
            failed += 1
            log.warning("server %d: review post %d not erased: HTTP %s", post.guild_id,
                        post.message_id, exc.status)
    for post in erased.board_posts:
        message = bot.get_partial_messageable(
            post.channel_id, guild_id=post.guild_id).get_partial_message(post.message_id)
        try:
            await message.delete()
        except discord.NotFound:
            pass
        except discord.HTTPException as exc:
            failed += 1
            log.warning("server %d: board post %d not deleted: HTTP %s", post.guild_id,
                        post.message_id, exc.status)
    for post in erased.authored_posts:
        message = bot.get_partial_messageable(
            post.channel_id, guild_id=post.guild_id).get_partial_message(post.message_id)
        try:
            shown = await message.fetch()
            erased_note = ERASED_NOTE.render(await guild_language(bot, post.guild_id))
            embeds = [discord.Embed.from_dict({**e.to_dict(), "description": erased_note})
                      for e in shown.embeds[:1]]
            await message.edit(embeds=embeds)
        except discord.NotFound:
            pass
        except discord.HTTPException as exc:
            failed += 1
            log.warning("server %d: board post %d not edited: HTTP %s", post.guild_id,
                        post.message_id, exc.status)
    return failed


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Privacy(bot))
