"""A board made again after its thread was deleted: its images are posted again in the
new thread, oldest first, in the background (Discord's rate limit paces the posts), each
read back from its original result message."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

import discord

from bot.boards.store import Board, BoardItem
from bot.errors import UserError
from bot.i18n import tr
from cogs.boards.board_add import item_embed
from cogs.common.job.delivery import discord_file
from cogs.common.language import guild_language
from cogs.common.posted import PostedImage, read_posted

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)


async def repost_items(bot: FluxBot, board: Board) -> int:
    """Posts each of the board's items whose original image Discord still has in the
    board's (new) thread, one message each so that /board remove takes down exactly one;
    returns how many were posted. Stops at the first post Discord refuses."""
    boards = bot.services.boards
    thread = bot.get_partial_messageable(board.thread_id, guild_id=board.guild_id,
                                         type=discord.ChannelType.public_thread)
    posted = 0
    lang = await guild_language(bot, board.guild_id)
    for item in await boards.items_to_repost(board):
        data = await _original(bot, item)
        if data is None:
            continue
        try:
            message = await thread.send(
                embed=item_embed(item, item.filename, item.added_by, lang),
                file=discord_file(data, item.filename))
        except discord.HTTPException as exc:
            log.warning("board %s: posting its images again stopped at number %d: HTTP %s",
                        board.id, item.number, exc.status)
            break
        await boards.posted(item, message.id)
        posted += 1
    log.info("board %s: %d images posted again in thread %d", board.id, posted,
             board.thread_id)
    return posted


async def _original(bot: FluxBot, item: BoardItem) -> bytes | None:
    """The item's image from its original result message; None when that is gone or is
    no longer the same image."""
    job = await bot.services.records.get_job(item.job_id)
    if job is None or job.message_id is None:
        return None
    try:
        _, data = await read_posted(bot, PostedImage(
            job.guild_id, job.channel_id, job.message_id, filename=item.filename),
            tr("posted again"))
    except UserError as gone:
        log.info("board %s: number %d not posted again: %s", item.board_id, item.number,
                 gone.message)
        return None
    if hashlib.sha256(data).hexdigest() != item.image_hash:
        return None
    return data
