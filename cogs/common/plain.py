"""Text someone typed (a prompt's variant, a server's name, a file's metadata), written
where the bot writes as exactly what was typed."""

from __future__ import annotations

import discord


def as_text(typed: str) -> str:
    """`typed` as Discord shows it literally: no markup, and no mention (a zero-width
    space after each `@`, so no member, role or everyone is named)."""
    return discord.utils.escape_markdown(typed).replace("@", "@\u200b")
