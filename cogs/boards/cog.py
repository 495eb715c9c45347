"""/board: moodboards for teams (SPEC section 9). A board is a thread in a text channel or
a post in a forum; results are added to it with the `Add to board` button."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import mentions
from bot.boards.export import SheetRow, sheet_csv
from bot.boards.names import thread_name
from bot.boards.sheet import SheetItem, draw_sheet_async
from bot.boards.style import check_style, describe_style
from bot.client import FluxBot
from bot.errors import UserError
from bot.i18n import tr, trn
from bot.replies import defer_private, reply
from cogs.boards.board_add import AddToBoardButton, BoardPick, ImagePick
from cogs.boards.repost import repost_items
from cogs.common.autocomplete import board_names
from cogs.common.context import MODEL_CHOICES
from cogs.common.job.delivery import discord_file
from cogs.common.job.rows import result_rows
from cogs.common.language import member_language, server_language
from cogs.common.options import Named

log = logging.getLogger(__name__)

RATIO_CHOICES = [app_commands.Choice(name=r, value=r)
                 for r in ("1:1", "16:9", "9:16", "3:2", "2:3", "4:5", "5:4")]
FORMAT_CHOICES = [app_commands.Choice(name=f, value=f) for f in ("webp", "jpg", "png")]
# Where Add to board stands under a result: after Reroll, Edit and Delete.
ADD_TO_BOARD = 40
# Room in a sheet's upload for the CSV beside it and the request's own framing.
SHEET_HEADROOM = 64 * 1024
ARCHIVE_AFTER_MINUTES: Literal[10080] = 10080  # a week: the longest Discord offers
Place = discord.TextChannel | discord.ForumChannel | discord.Thread
_STATE_NOTES = {"archived": tr(" (thread archived)"),
                "deleted": tr(" (thread deleted: `/board create` makes it again)")}


def require(allowed: bool, permission: str, where: Place | None = None) -> None:
    """Refuses a member without `permission` (Discord's name for it), in `where` if given."""
    if not allowed:
        place = tr(" in {channel}", channel=where.mention) if where is not None else ""
        raise UserError(tr("You need the {permission} permission{place} for this.",
                           permission=permission, place=place))


def permissions_in(interaction: discord.Interaction[Any], where: Place | None
                   ) -> discord.Permissions:
    """The member's permissions where the action lands: `where`'s overwrites applied (a
    thread has its parent's), not those of the channel the command was typed in. Without
    the channel (deleted), the member's permissions in the server."""
    member = interaction.user
    if not isinstance(member, discord.Member):
        return discord.Permissions.none()
    if where is None:
        return member.guild_permissions
    return where.permissions_for(member)


@app_commands.guild_only()
class BoardCommands(commands.GroupCog, group_name="board"):
    """Moodboards: threads that collect the team's chosen images."""

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        self._reposts: set[asyncio.Task[int]] = set()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AddToBoardButton, BoardPick, ImagePick)
        result_rows(self.bot).add("board-add", AddToBoardButton, position=ADD_TO_BOARD)

    async def cog_unload(self) -> None:
        result_rows(self.bot).remove("board-add")
        for task in self._reposts:
            task.cancel()

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.bot.services.boards.thread_changed(payload.thread_id, "deleted")

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        metadata: Any = payload.data.get("thread_metadata") or {}
        state = "archived" if metadata.get("archived") else "active"
        await self.bot.services.boards.thread_changed(payload.thread_id, state)

    @app_commands.command()
    @app_commands.describe(name="The board's name (1-50 characters, unique here)",
                           channel="A text or forum channel for it (default: this one)")
    async def create(self, interaction: discord.Interaction[FluxBot],
                     name: Named,
                     channel: discord.TextChannel | discord.ForumChannel | None = None) -> None:
        """Make a board: a thread here (or in a text channel) or a post in a forum"""
        target = channel or _home_channel(interaction)
        # Where the board lands, not where the command was typed.
        require(permissions_in(interaction, target).manage_channels, "Manage Channels", target)
        await defer_private(interaction)
        guild = interaction.guild
        assert guild is not None and interaction.guild_id is not None
        boards = self.bot.services.boards
        name, existing = await boards.new_board_name(interaction.guild_id, name)
        title = thread_name(name, "📌 ")
        reason = f"moodboard created by {interaction.user.id}"
        try:
            if isinstance(target, discord.ForumChannel):
                post = await target.create_thread(
                    name=title, reason=reason, auto_archive_duration=ARCHIVE_AFTER_MINUTES,
                    content=tr("Moodboard **{name}**: images added with *Add to board* land "
                               "in this post.", name=mentions.typed(name)
                               ).render(await server_language(interaction)))
                thread = post.thread
            else:
                thread = await target.create_thread(
                    name=title, type=discord.ChannelType.public_thread, reason=reason,
                    auto_archive_duration=ARCHIVE_AFTER_MINUTES)
        except discord.Forbidden:
            raise UserError(tr("I may not create threads in {mention}: give me Create Public "
                               "Threads (and Send Messages) there, or pick another channel.",
                               mention=target.mention)) from None
        board = await boards.record_board(interaction.guild_id, name, target.id, thread.id,
                                          interaction.user.id)
        again = ""
        if existing is not None:
            again = tr(" again; its style is kept and its images are being posted there again")
            task = asyncio.create_task(repost_items(self.bot, board))
            self._reposts.add(task)  # held until done: a task nobody holds may vanish
            task.add_done_callback(self._reposts.discard)
        await reply(interaction, tr("Board “{name}” is ready{again}: {mention}",
                                    name=mentions.typed(board.name), again=again,
                                    mention=thread.mention))

    @app_commands.command(name="list")
    async def list_boards(self, interaction: discord.Interaction[FluxBot]) -> None:
        """The boards of this server with their image counts"""
        assert interaction.guild_id is not None
        boards = await self.bot.services.boards.boards(interaction.guild_id)
        if not boards:
            await reply(interaction, tr("This server has no boards yet. Someone with Manage "
                                        "Channels can make one with /board create."))
            return
        lang = member_language(interaction)
        lines = [
            trn("**{name}**: {n} image · {thread}{state}",
                "**{name}**: {n} images · {thread}{state}", count,
                name=mentions.typed(b.name),
                thread=mentions.channel(b.thread_id), state=_STATE_NOTES.get(b.thread_state, "")
                ).render(lang)
            for b, count in boards
        ]
        embed = discord.Embed(title=tr("Boards").render(lang),
                              description="\n".join(lines)[:4000])
        await reply(interaction, None, embed=embed)

    @app_commands.command()
    @app_commands.describe(name="The board", model="Model for its images",
                           aspect_ratio="Shape of its images",
                           prompt_suffix="Words added after every prompt",
                           output_format="File format of its images")
    @app_commands.choices(model=MODEL_CHOICES, aspect_ratio=RATIO_CHOICES,
                          output_format=FORMAT_CHOICES)
    @app_commands.autocomplete(name=board_names)
    async def style(self, interaction: discord.Interaction[FluxBot], name: Named,
                    model: str | None = None, aspect_ratio: str | None = None,
                    prompt_suffix: app_commands.Range[str, 1, 200] | None = None,
                    output_format: str | None = None) -> None:
        """Set a board's style (the values given replace it); without values, show it"""
        assert interaction.guild_id is not None
        boards = self.bot.services.boards
        board = await boards.board(interaction.guild_id, name)
        if all(v is None for v in (model, aspect_ratio, prompt_suffix, output_format)):
            await reply(interaction, tr("Style of “{name}”: {describe_style}.",
                                        name=mentions.typed(board.name),
                                        describe_style=describe_style(board.style)))
            return
        where = _board_place(interaction, board.thread_id, board.channel_id)
        require(permissions_in(interaction, where).manage_channels, "Manage Channels", where)
        style = check_style(model, aspect_ratio, output_format, prompt_suffix,
                            self.bot.services.router.offered())
        await boards.set_style(board, style)
        await reply(interaction, tr("Style of “{name}” set: {describe_style}. `/imagine "
                                    "board:{board}` uses it for every option you leave unset.",
                                    name=mentions.typed(board.name),
                                    board=mentions.in_code(board.name),
                                    describe_style=describe_style(style)))

    @app_commands.command()
    @app_commands.describe(name="The board")
    @app_commands.autocomplete(name=board_names)
    async def sheet(self, interaction: discord.Interaction[FluxBot], name: Named) -> None:
        """A contact sheet of the board: its newest 36 images, numbered, and a CSV"""
        assert interaction.guild_id is not None
        await defer_private(interaction)
        boards = self.bot.services.boards
        board = await boards.board(interaction.guild_id, name)
        items = await boards.sheet_items(board)
        if not items:
            raise UserError(tr("“{name}” has no images yet: add some with Add to board.",
                               name=mentions.typed(board.name)))
        csv = sheet_csv(SheetRow(i.number, i.prompt, i.model, i.seed, i.author_id, i.added_by,
                                 i.link) for i in items)
        limit = interaction.filesize_limit - len(csv) - SHEET_HEADROOM
        sheet = await draw_sheet_async(
            [SheetItem(i.number, i.thumbnail, i.prompt) for i in items], limit)
        stem = f"board-{board.id[:8]}"
        await reply(interaction, trn("Contact sheet of “{name}”: {n} image.",
                                     "Contact sheet of “{name}”: {n} images.", len(items),
                                     name=mentions.typed(board.name)))
        await interaction.followup.send(
            content=trn("**{name}**: the newest {n} image, numbered as on the board.",
                        "**{name}**: the newest {n} images, numbered as on the board.",
                        len(items), name=mentions.typed(board.name)
                        ).render(await server_language(interaction)),
            files=[discord_file(sheet.png, f"{stem}.png"),
                   discord_file(csv, f"{stem}.csv")],
            ephemeral=False)

    @app_commands.command()
    @app_commands.describe(name="The board", number="The image's number on the board")
    @app_commands.autocomplete(name=board_names)
    async def remove(self, interaction: discord.Interaction[FluxBot], name: Named,
                     number: app_commands.Range[int, 1, 1_000_000]) -> None:
        """Take an image off a board (who added it, or Manage Messages)"""
        assert interaction.guild_id is not None
        boards = self.bot.services.boards
        board = await boards.board(interaction.guild_id, name)
        # Manage Messages counts in the board's thread, not where the command was typed.
        where = _board_place(interaction, board.thread_id, board.channel_id)
        item = await boards.remove(board, number, interaction.user.id,
                                   permissions_in(interaction, where).manage_messages)
        if item.message_id is not None:
            try:
                thread = self.bot.get_partial_messageable(board.thread_id,
                                                          guild_id=board.guild_id)
                await thread.get_partial_message(item.message_id).delete()
            except discord.HTTPException as exc:  # gone already, or not ours to delete
                log.info("board copy %d not deleted: HTTP %s", item.message_id, exc.status)
        await reply(interaction, tr("Removed number {number} from “{name}”.",
                                    number=number, name=mentions.typed(board.name)))


def _board_place(interaction: discord.Interaction[Any], thread_id: int, channel_id: int
                 ) -> Place | None:
    """A board's thread, else its channel (an archived thread may not be cached)."""
    guild = interaction.guild
    if guild is None:
        return None
    for place in (guild.get_channel_or_thread(thread_id), guild.get_channel(channel_id)):
        if isinstance(place, discord.TextChannel | discord.ForumChannel | discord.Thread):
            return place
    return None


def _home_channel(interaction: discord.Interaction[Any]
                  ) -> discord.TextChannel | discord.ForumChannel:
    """Where /board create without a channel puts the board: this text channel, or the
    channel (text or forum) of the thread or post it was used in."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread):
        channel = channel.parent
    if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
        raise UserError(tr("Boards live in text or forum channels: pick one with `channel`."))
    return channel


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(BoardCommands(bot))
