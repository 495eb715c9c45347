"""One job of several that one command started (the combinations of an /imagine prompt
with `{a, b}` groups): checked and confirmed together with the others, then run like any
job, answering in its own private message, its result naming its variant."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.jobs.request import Prepared


@dataclass(frozen=True, slots=True)
class Part:
    """A prepared job, the variant it makes (as its result names it) and the private
    message that shows where it is."""

    prepared: Prepared
    variant: str
    status: discord.WebhookMessage


def name_variant(embed: discord.Embed, variant: str) -> None:
    """Adds the Variant field: which option of each group made this image. The options
    are the member's own text, shown as text (no markup)."""
    embed.add_field(name="Variant", value=discord.utils.escape_markdown(variant)[:1024],
                    inline=False)
