"""A board made again after its thread was deleted: its kept images are posted again in
the new thread, oldest first, in the background (Discord's rate limit paces the posts)."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord

from bot.storage.boards_base import Board
from cogs._board_add import item_embed

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)


async def repost_items(bot: FluxBot, board: Board) -> int:
    """Posts each of the board's items that still has its file in the board's (new)
    thread, one message each so that /board remove takes down exactly one; returns how
    many were posted. Stops at the first post Discord refuses."""
    boards = bot.services.boards
    thread = bot.get_partial_messageable(board.thread_id, guild_id=board.guild_id,
                                         type=discord.ChannelType.public_thread)
    posted = 0
    async for item in boards.items_with_files(board):
        assert item.image is not None
        try:
            message = await thread.send(
                embed=item_embed(item, item.filename, item.added_by),
                file=discord.File(io.BytesIO(item.image), item.filename))
        except discord.HTTPException as exc:
            log.warning("board %s: posting its images again stopped at number %d: HTTP %s",
                        board.id, item.number, exc.status)
            break
        await boards.posted(item, message.id)
        posted += 1
    log.info("board %s: %d images posted again in thread %d", board.id, posted,
             board.thread_id)
    return posted
