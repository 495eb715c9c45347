"""The channel a job runs in, read from Discord when the job needs its cap (SPEC section 4).

Whether a channel is age-restricted is read as the channel is now (the client's cache,
which Discord keeps current, else a REST read), never taken from a request saved earlier:
a queued job, an approved appeal and a button pressed days later all see today's channel.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.safety import ChannelLookup, ChannelRules

log = logging.getLogger(__name__)


def channel_lookup(client: discord.Client) -> ChannelLookup:
    """The `ChannelLookup` of `client`: a thread or forum post has its parent's cap and
    age restriction; a channel that cannot be read counts as not age-restricted."""

    async def lookup(guild_id: int, channel_id: int) -> ChannelRules:
        if not guild_id:  # direct messages: the operator's defaults and SFW_SAFETY_MAX
            return ChannelRules(channel_id, False)
        guild = client.get_guild(guild_id)
        channel = await _channel(client, guild, channel_id)
        if isinstance(channel, discord.Thread):
            parent = channel.parent or await _channel(client, guild, channel.parent_id)
            return ChannelRules(channel.parent_id, _age_restricted(parent))
        return ChannelRules(channel_id, _age_restricted(channel))

    return lookup


async def _channel(client: discord.Client, guild: discord.Guild | None, channel_id: int
                   ) -> Any:
    # The server's own cache first: one lookup, however many servers the client holds.
    channel = guild.get_channel_or_thread(channel_id) if guild is not None else None
    if channel is not None:
        return channel
    try:
        return await client.fetch_channel(channel_id)
    except discord.HTTPException as exc:
        # The lower cap is the safe side of a channel the bot cannot see.
        log.info("channel %d could not be read (%s): not age-restricted for its cap",
                 channel_id, exc.status)
        return None


def _age_restricted(channel: Any) -> bool:
    is_nsfw = getattr(channel, "is_nsfw", None)
    return bool(is_nsfw()) if callable(is_nsfw) else False
