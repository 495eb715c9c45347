"""How a message names a member, a channel, a role or a moment: Discord's own markup,
filled into a translated sentence as a placeholder's value (never part of its text); and
how text someone typed is written as itself, with no markup or mention of its own."""

from __future__ import annotations

import re

# Markdown Discord renders anywhere in a line (bold, italics, underline, strike, spoiler,
# code), each escaped with a backslash, and a `[` that could open a masked link (a `](`
# follows on its line); then the start of a mention of any kind, a channel, a command, a
# timestamp or a custom emoji (`@`, `<`), which a zero-width space after it breaks. A web
# address is left whole, since a character put into it would change where it leads.
_INLINE = re.compile(r"(https?://[^\s<]+)|([\\*_~|`]|\[(?=[^\n]*\]\())|([@<])")
# What renders only at a line's start: a quote, a heading, subtext or a bulleted list, and
# a numbered list (its dot is escaped: a backslash before a digit would show).
_LINE_START = re.compile(r"^([ \t]*)([>#-])", re.MULTILINE)
_NUMBERED = re.compile(r"^([ \t]*\d+)\.(?=\s)", re.MULTILINE)


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
    typed: its markdown escaped, and a zero-width space after each `@` and `<` outside a
    web address, so that no member, role, everyone, channel, command or emoji is named
    by it."""
    escaped = _INLINE.sub(_escaped, text)
    return _NUMBERED.sub(r"\1\\.", _LINE_START.sub(r"\1\\\2", escaped))


def _escaped(found: re.Match[str]) -> str:
    address, markup, mention = found.groups()
    if address is not None:
        return address
    if markup is not None:
        return "\\" + markup
    return mention + "\u200b"


def in_code(text: object, limit: int | None = None) -> str:
    """`text` (cut at `limit` characters) for a code span the sentence around it opens
    and closes, as a blocklist entry or an option's value is shown: its backticks, which
    would close the span early, become apostrophes. Nothing else in a code span is
    markup or a mention."""
    return str(text).replace("`", "'")[:limit]
