"""A board's most recent images as /blend references, read from the board's thread.

The database keeps where each board image was posted, never its file (SPEC section 12):
the thread's message is fetched again, which gives a fresh link BFL can fetch and the
size Discord measured. An image whose message is gone is left out.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.errors import UserError
from bot.i18n import tr
from bot.jobs.request import Attachment

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)


async def board_references(bot: FluxBot, guild_id: int, name: str, room: int
                           ) -> list[Attachment]:
    """Up to `room` of board `name`'s most recent images, newest first."""
    if not guild_id:
        raise UserError(tr("Boards belong to servers: use `board` in a server's channel."))
    boards = bot.services.boards
    board = await boards.board(guild_id, name)
    found: list[Attachment] = []
    if room <= 0:
        return found
    thread = bot.get_partial_messageable(board.thread_id, guild_id=guild_id)
    for item in await boards.sheet_items(board):
        if len(found) >= room:
            break
        if item.message_id is None:
            continue
        try:
            message = await thread.fetch_message(item.message_id)
        except discord.NotFound:
            continue  # removed from the thread by hand: not a reference any more
        except discord.HTTPException as exc:
            log.info("board %s item %d not read: HTTP %s", board.id, item.number, exc.status)
            continue
        named = [a for a in message.attachments if a.filename == item.filename]
        if not named and not message.attachments:
            continue
        picked = named[0] if named else message.attachments[0]
        found.append(Attachment(picked.url, picked.filename, picked.content_type, picked.size,
                                width=picked.width, height=picked.height,
                                name=tr("board image {number}", number=item.number)))
    return found
