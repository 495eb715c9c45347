"""How a message names a member, a channel, a role or a moment: Discord's own markup,
filled into a translated sentence as a placeholder's value (never part of its text); and
how text someone typed is written as itself, with no markup or mention of its own."""

from __future__ import annotations

import re

# Markdown Discord renders anywhere in a line (bold, italics, underline, strike, spoiler,
# code), each escaped with a backslash, and with them every `[` when the text could hold a
# masked link (`[text](url)`); a web address is left whole, since a backslash in it would
# change where it leads.
_MARKUP = re.compile(r"([\\*_~|`])")
_MARKUP_AND_LINKS = re.compile(r"([\\*_~|`\[])")
_INLINE = re.compile(r"(https?://[^\s<]+)|([\\*_~|`])")
_INLINE_AND_LINKS = re.compile(r"(https?://[^\s<]+)|([\\*_~|`\[])")
# What renders only at a line's start: a quote, a heading, subtext or a bulleted list, and
# a numbered list (its dot is escaped: a backslash before a digit would show).
_LINE_START = re.compile(r"^([ \t]*)([>#-])", re.MULTILINE)
_NUMBERED = re.compile(r"^([ \t]*\d+)\.(?=\s)", re.MULTILINE)
# Mentions of every kind, channels, commands, timestamps and custom emoji.
_MENTION = re.compile(r"[@<]")


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
    links = "](" in text
    if "://" in text:
        inline = _INLINE_AND_LINKS if links else _INLINE
        escaped = inline.sub(lambda m: m[1] or "\\" + m[2], text)
    else:  # the same without looking for addresses: a few times faster
        escaped = (_MARKUP_AND_LINKS if links else _MARKUP).sub(r"\\\1", text)
    escaped = _NUMBERED.sub(r"\1\\.", _LINE_START.sub(r"\1\\\2", escaped))
    return _MENTION.sub("\\g<0>\u200b", escaped)
