"""The one way a message's link is written."""

from __future__ import annotations


def jump_link(guild_id: int | None, channel_id: int, message_id: int | None) -> str:
    """The link to a message (to its channel while the message id is not known); a
    direct message's guild is `@me`."""
    base = f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}"
    return f"{base}/{message_id}" if message_id else base
