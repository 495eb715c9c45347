"""One job of several that one command started (the combinations of an /imagine prompt
with `{a, b}` groups): checked and confirmed together with the others, then run like any
job, answering in its own private message, its result naming its variant."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot import mentions
from bot.i18n import SOURCE, Text, tr
from bot.jobs.request import Prepared

# Characters of a variant in its private messages (the result's embed shows it whole).
HEADING_MAX = 200


@dataclass(frozen=True, slots=True)
class Part:
    """A prepared job, the variant it makes (as its result names it) and the private
    message that shows where it is."""

    prepared: Prepared
    variant: str
    status: discord.WebhookMessage

    @property
    def heading(self) -> Text:
        """How the variant's private messages name it."""
        return variant_heading(self.variant)


def variant_heading(variant: str) -> Text:
    """A variant as its private messages name it: the member's text shown as text, and
    short enough that a message with the longest answer stays within Discord's limit."""
    if len(variant) > HEADING_MAX:
        variant = variant[:HEADING_MAX - 1] + "…"
    return tr("Variant **{variant}**", variant=mentions.typed(variant))


def name_variant(embed: discord.Embed, variant: str, lang: str = SOURCE) -> None:
    """Adds the Variant field, named in the server's language `lang`: which option of each
    group made this image. The options are the member's own text, shown as text."""
    embed.add_field(name=tr("Variant").render(lang), value=mentions.typed(variant)[:1024],
                    inline=False)
