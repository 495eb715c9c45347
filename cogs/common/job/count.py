"""The embed of a result with several images (`/imagine count`): every image's seed."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.i18n import SOURCE, tr
from bot.providers.base import GeneratedImage


def name_seeds(embed: discord.Embed, images: Sequence[GeneratedImage],
               lang: str = SOURCE) -> None:
    """With several images, the Seed field lists each one's seed, in posting order, so
    that any of them can be made again."""
    if len(images) < 2:
        return
    for index, field in enumerate(embed.fields):
        if field.name == tr("Seed").render(lang):
            embed.set_field_at(index, name=tr("Seeds").render(lang), inline=bool(field.inline),
                               value=", ".join(str(image.seed) for image in images))
            return
