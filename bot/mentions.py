"""How a message names a member, a channel, a role or a moment: Discord's own markup,
filled into a translated sentence as a placeholder's value (never part of its text); and
how text someone typed is written as itself, with no markup or mention of its own."""

from __future__ import annotations

import re

import discord

# Discord's markup that escape_markdown leaves: mentions of every kind, channels,
# commands, timestamps and custom emoji (`<…>`), and a numbered list at a line's start.
_MENTION = re.compile(r"[@<]")
_NUMBERED = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)


def member(user_id: int) -> str:
    """`<@id>`: the member, as each reader's client shows them."""
    return f"<@{user_id}>"


def channel(channel_id: int) -> str:
    """`<#id>`: a channel or thread, as a link."""
    return f"<#{channel_id}>"


def role(role_id: int) -> str:
    """`<@&id>`: a role."""
    return f"<@&{role_id}>"


def relative(timestamp: float) -> str:
    """`<t:…:R>`: "in 3 hours", in each reader's language and zone."""
    return f"<t:{int(timestamp)}:R>"


def percent(share: int) -> str:
    """`80 %`."""
    return f"{share} %"


def typed(text: str) -> str:
    """`text` as Discord shows it literally, for a prompt, a name or a reason someone
    typed: its markdown escaped, and a zero-width space after each `@` and `<`, so that
    no member, role, everyone, channel, command or emoji is named by it."""
    escaped = discord.utils.escape_markdown(text)
    return _NUMBERED.sub(r"\1\\.", _MENTION.sub(lambda m: m.group() + "\u200b", escaped))
