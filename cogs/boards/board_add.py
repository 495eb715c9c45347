"""`Add to board` under every result, and the private selects it may open (which image
of several, which board).

All are DynamicItems whose custom_id carries the job id (and the image number; the
board select's options the board ids), so adding works after a restart. The image is
read back from the result's message on Discord (`cogs.common.posted`): the database keeps no
posted file.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.boards.service import Added
from bot.boards.store import Board, BoardItem, KeptResult
from bot.client import report_error
from bot.credits.rows import Job
from bot.errors import UserError
from bot.i18n import SOURCE, tr
from bot.mentions import typed
from bot.replies import defer_private, reply
from bot.texts import model_label
from cogs.common.component import JOB, JobChecked, ascii_number
from cogs.common.job.delivery import discord_file
from cogs.common.job.embed import clipped
from cogs.common.language import member_language, server_language
from cogs.common.links import jump_link
from cogs.common.posted import PostedImage, read_posted, reading_for

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)

PICK_LIMIT = 25  # Discord's most options in a select
THREAD_ARCHIVED = 50083
UNKNOWN_CHANNEL = 10003
BOARD_COLOUR = discord.Colour(0x3BA55C)


class AddToBoardButton(JobChecked, discord.ui.DynamicItem[discord.ui.Button[Any]],
                       template=r"fluxcord:board-add:" + JOB):
    """Adds the result to the server's only board, or asks which of them (and, with
    several images, first which image)."""

    def __init__(self, job_id: str, lang: str = SOURCE) -> None:
        super().__init__(discord.ui.Button(
            label=tr("Add to board").render(lang), style=discord.ButtonStyle.secondary, emoji="📌",
            custom_id=f"fluxcord:board-add:{job_id}"))
        self.job_id = job_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        await defer_private(interaction)
        try:
            await _listed(interaction)  # no boards: say so before asking anything
            images = len(interaction.message.attachments) if interaction.message else 1
            if images <= 1:
                await _offer_boards(interaction, self.job_id, 1)
                return
            view = discord.ui.View(timeout=None)
            view.add_item(ImagePick(self.job_id, images, member_language(interaction)))
            await interaction.edit_original_response(
                content=tr("Add which image to a board?").render(interaction.locale), view=view)
        except Exception as exc:
            await report_error(interaction, exc)


class ImagePick(JobChecked, discord.ui.DynamicItem[discord.ui.Select[Any]],
                template=r"fluxcord:board-image:" + JOB):
    """The private select of a result's images, "Image 1" to "Image n"."""

    def __init__(self, job_id: str, images: int = 1, lang: str = SOURCE) -> None:
        super().__init__(discord.ui.Select(
            custom_id=f"fluxcord:board-image:{job_id}",
            placeholder=tr("Choose an image").render(lang),
            options=[discord.SelectOption(label=tr("Image {n}", n=n).render(lang), value=str(n))
                     for n in range(1, max(images, 1) + 1)]))
        self.job_id = job_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        data: Any = interaction.data or {}
        chosen = str(next(iter(data.get("values") or []), "1"))
        await interaction.response.edit_message(content=tr("Adding…").render(interaction.locale),
                                                view=None)
        try:
            # A client may send any value: only one of the result's images counts.
            images = int(self.job.options.get("count", 1))
            number = ascii_number(chosen, 1, max(images, 1))
            if number is None:
                raise UserError(tr("Pick an image from 1 to {images}. Press Add to board again.",
                                   images=images))
            await _offer_boards(interaction, self.job_id, number)
        except Exception as exc:
            await report_error(interaction, exc)


class BoardPick(JobChecked, discord.ui.DynamicItem[discord.ui.Select[Any]],
                template=r"fluxcord:board-pick:" + JOB + r"(?::(?P<number>[0-9]{1,2}))?"):
    """The private select of the server's boards, most recently used first."""

    def __init__(self, job_id: str, boards: list[Board] | None = None,
                 number: int = 1, lang: str = SOURCE) -> None:
        options = [discord.SelectOption(label=b.name[:100], value=b.id) for b in boards or []]
        # Image 1 keeps the custom_id selects had before results had several images.
        suffix = f":{number}" if number > 1 else ""
        super().__init__(discord.ui.Select(
            custom_id=f"fluxcord:board-pick:{job_id}{suffix}",
            placeholder=tr("Choose a board").render(lang),
            options=options or [discord.SelectOption(label="-", value="-")]))
        self.job_id = job_id
        self.number = number

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]) -> BoardPick:
        return cls(match["job"], number=int(match["number"] or 1))

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        data: Any = interaction.data or {}
        chosen = next(iter(data.get("values") or []), None)
        await interaction.response.edit_message(content=tr("Adding…").render(interaction.locale),
                                                view=None)
        try:
            guild_id = interaction.guild_id or 0
            boards = interaction.client.services.boards
            board = next((b for b, _ in await boards.boards(guild_id) if b.id == chosen), None)
            if board is None:
                raise UserError(tr("That board no longer exists. See /board list."))
            await add_to_board(interaction, board, self.job_id, self.number)
        except Exception as exc:
            await report_error(interaction, exc)


async def _listed(interaction: discord.Interaction[FluxBot]) -> list[Board]:
    """The server's boards, most recently used first; a UserError when there are none."""
    if interaction.guild_id is None:
        raise UserError(tr("Boards belong to servers: add images from a server channel."))
    listed = [b for b, _ in await interaction.client.services.boards.boards(
        interaction.guild_id)]
    if not listed:
        raise UserError(tr("This server has no boards yet: someone with Manage Channels can make"
                           " one with /board create."))
    return listed


async def _offer_boards(interaction: discord.Interaction[FluxBot], job_id: str,
                        number: int) -> None:
    """Adds image `number` to the only board, or asks privately which board."""
    listed = await _listed(interaction)
    if len(listed) == 1:
        await add_to_board(interaction, listed[0], job_id, number)
        return
    view = discord.ui.View(timeout=None)
    view.add_item(BoardPick(job_id, listed[:PICK_LIMIT], number, member_language(interaction)))
    await interaction.edit_original_response(
        content=tr("Add this image to which board?").render(interaction.locale), view=view)


async def add_to_board(interaction: discord.Interaction[FluxBot], board: Board,
                       job_id: str, number: int = 1) -> None:
    """Posts image `number` of the result again in the board's thread and records it
    there; answers the member privately with where it went (or why it could not)."""
    services = interaction.client.services
    job = await services.records.get_job(job_id)
    if job is None or job.guild_id != board.guild_id:
        raise UserError(tr("That image is no longer known to the bot."))
    if board.thread_state == "deleted":
        raise _thread_gone(board, "was deleted")
    if job.message_id is None:
        raise UserError(tr("That image was never posted, so it cannot be added to a board."))
    with reading_for(interaction):
        filename, data = await read_posted(interaction.client, PostedImage(
            job.guild_id, job.channel_id, job.message_id, number), tr("added to a board"))
        kept = KeptResult(job.id, filename, data)
        link = jump_link(job.guild_id, job.channel_id, job.message_id)
        added = await services.boards.add(board, job, kept, interaction.user.id, link)
    if added.duplicate:
        await reply(interaction, tr("That image is already on “{name}” as number {number}.",
                                    name=typed(board.name), number=added.item.number))
        return
    try:
        message = await _post_copy(interaction, board, added, job, kept)
    except BaseException:
        await services.boards.withdraw(added.item)
        raise
    await services.boards.posted(added.item, message.id)
    where = jump_link(job.guild_id, board.thread_id, message.id)
    await reply(interaction, tr("Added to “{name}” as number {number}: {where}",
                                name=typed(board.name), number=added.item.number, where=where))


async def _post_copy(interaction: discord.Interaction[FluxBot], board: Board, added: Added,
                     job: Job, kept: KeptResult) -> discord.Message:
    """The image uploaded again in the board's thread (a link would expire)."""
    thread = interaction.client.get_partial_messageable(
        board.thread_id, guild_id=board.guild_id, type=discord.ChannelType.public_thread)
    try:
        return await thread.send(embed=item_embed(added.item, kept.filename, interaction.user.id,
                                                  await server_language(interaction)),
                                 file=discord_file(kept.data, kept.filename))
    except discord.NotFound as exc:
        if exc.code == UNKNOWN_CHANNEL:
            await interaction.client.services.boards.thread_changed(board.thread_id, "deleted")
            raise _thread_gone(board, tr("was deleted")) from None
        raise
    except discord.HTTPException as exc:
        if exc.code == THREAD_ARCHIVED:
            await interaction.client.services.boards.thread_changed(board.thread_id,
                                                                    "archived")
            raise _thread_gone(board, tr("is archived and locked")) from None
        if exc.status == 403:
            raise UserError(tr("I may not post in the thread of “{name}”: ask a moderator to let"
                               " me send messages there.",
                               name=typed(board.name))) from None
        raise


def item_embed(item: BoardItem, filename: str, added_by: int, lang: str = SOURCE
               ) -> discord.Embed:
    """What the board's thread shows under an added image, in the server's language."""
    embed = discord.Embed(title=f"#{item.number}", description=clipped(typed(item.prompt), 4000),
                          colour=BOARD_COLOUR)
    embed.add_field(name=tr("Model").render(lang), value=model_label(item.model))
    embed.add_field(name=tr("Seed").render(lang), value=str(item.seed))
    embed.add_field(name=tr("Made by").render(lang), value=f"<@{item.author_id}>")
    embed.add_field(name=tr("Added by").render(lang), value=f"<@{added_by}>")
    embed.add_field(name=tr("Original").render(lang), value=item.link, inline=False)
    embed.set_image(url=f"attachment://{filename}")
    return embed


def _thread_gone(board: Board, what: str) -> UserError:
    return UserError(tr("The thread of board “{name}” {what}. Someone with Manage Channels can "
                        "make it again with /board create name:{name}.",
                        name=typed(board.name), what=what))
