"""A posted image's bytes, read back from Discord's copy when a button needs them.

The database keeps no posted file (SPEC section 12), only where it was posted: the
channel, the message and the image's place among its attachments. Asking Discord for
the message again gives attachment links that are fresh (a link seen earlier expires
after about a day), and a message deleted in the meantime is found out before anything
is charged.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import UserError
from bot.i18n import tr

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)

# Discord's own largest upload: a larger file was never posted by the bot.
POSTED_MAX_BYTES = 25 * 2**20
# Posted images read back for one member at once, each until its job or board item takes
# over: a member clicking tool after tool holds no more downloads of up to 25 MB, nor more
# of the image threads' time, than this before their job limits apply.
READING_PER_MEMBER = 2

_reading: Counter[tuple[int, int]] = Counter()


@contextmanager
def reading_for(interaction: discord.Interaction[Any]) -> Iterator[None]:
    """Counts a posted image read for the interaction's member while the block runs;
    raises UserError when they have READING_PER_MEMBER being read already."""
    member = (interaction.guild_id or 0, interaction.user.id)
    if _reading[member] >= READING_PER_MEMBER:
        raise UserError(tr("Your other images are still being read. Try again once they "
                           "have started."))
    _reading[member] += 1
    try:
        yield
    finally:
        _reading[member] -= 1
        if not _reading[member]:
            del _reading[member]


@dataclass(frozen=True, slots=True)
class PostedImage:
    """Where a posted image is: attachment `number` (from 1) of a message."""

    guild_id: int
    channel_id: int
    message_id: int
    number: int = 1
    filename: str | None = None  # when set, the attachment of that name (any position)


async def read_posted(bot: FluxBot, where: PostedImage, purpose: str
                      ) -> tuple[str, bytes]:
    """The filename and bytes of the image at `where`, downloaded through a freshly
    fetched message. Raises UserError, saying why and that the image cannot be
    `purpose` ("edited", "added to a board"), when it is gone or unreadable."""
    channel = bot.get_partial_messageable(where.channel_id, guild_id=where.guild_id or None)
    try:
        message = await channel.fetch_message(where.message_id)
    except discord.NotFound:
        raise UserError(tr("That image is no longer in the channel (its message was deleted), so"
                           " it cannot be {purpose}.",
                           purpose=purpose)) from None
    except discord.Forbidden:
        raise UserError(tr("I can no longer read that image's channel, so it cannot be "
                           "{purpose}. Ask a moderator to let me read its message history.",
                           purpose=purpose)) from None
    attachment = _pick(message.attachments, where)
    if attachment is None:
        raise UserError(tr("That image is no longer in its message, so it cannot be {purpose}.",
                           purpose=purpose))
    if attachment.size > POSTED_MAX_BYTES:
        raise UserError(tr("That image is over {mb} MB, so it cannot be "
                           "{purpose}.",
                           mb=POSTED_MAX_BYTES // 2**20, purpose=purpose))
    try:
        data = await attachment.read()
    except discord.HTTPException as exc:
        log.info("posted image %d/%d not downloaded: HTTP %s", where.message_id,
                 where.number, exc.status)
        raise UserError(tr("Discord did not hand over that image just now: try again in a "
                           "moment.")) from None
    return attachment.filename, data


def _pick(attachments: list[discord.Attachment], where: PostedImage
          ) -> discord.Attachment | None:
    if where.filename is not None:
        named = [a for a in attachments if a.filename == where.filename]
        if named:
            return named[0]
    if 1 <= where.number <= len(attachments):
        return attachments[where.number - 1]
    return None
