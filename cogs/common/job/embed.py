"""The public embed under a result: what was made, how, at what cost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord

from bot import provenance, texts
from bot.catalogue import Model
from bot.i18n import SOURCE, Text, render, tr, trn
from bot.jobs.request import ImagineRequest
from bot.mentions import typed
from bot.providers.base import GeneratedImage
from bot.providers.registry import label as provider_label

EMBED_COLOUR = discord.Colour(0x5865F2)


# Discord's limits on an embed: its description, and all its texts together.
DESCRIPTION_MAX = 4096
EMBED_MAX = 6000
# What is added to a result's embed after `result_embed`: a variant's field (at most 1,024
# characters and its name), the seeds of several images, the member's name as its author.
ADDED_LATER = 1024 + 64 + 256 + 32


def result_embed(
    model: Model,
    request: ImagineRequest,
    job_id: str,
    image: GeneratedImage,
    cost: int,
    balance: int,
    notes: tuple[str, ...],
    lang: str = SOURCE,
) -> discord.Embed:
    """The public embed under a result: prompt, model, provider, seed, size, cost, the
    balance left, the parameters set, what the bot adjusted, and that it is AI-generated
    (by which model and provider); in the server's language `lang`."""

    def _(text: Text) -> str:
        return text.render(lang)

    embed = discord.Embed(colour=EMBED_COLOUR)
    embed.add_field(name=_(tr("Model")), value=model.label)
    embed.add_field(name=_(tr("Provider")), value=provider_label(image.provider))
    embed.add_field(name=_(tr("Seed")), value=str(image.seed))
    embed.add_field(name=_(tr("Size")), value=f"{image.width}×{image.height}")
    embed.add_field(name=_(tr("Cost")), value=_(texts.credits(cost)))
    embed.add_field(name=_(tr("Balance")),
                    value=_(trn("{n} credit left", "{n} credits left", balance)))
    shown = parameters_line(request, lang)
    if shown:
        embed.add_field(name=_(tr("Parameters")), value=shown[:1024], inline=False)
    if request.preset:
        embed.add_field(name=_(tr("Preset")), value=typed(request.preset)[:1024], inline=False)
    if model.edits and request.attachment is not None:
        embed.add_field(name=_(tr("Source image")), value=typed(request.attachment.filename)[:1024],
                        inline=False)
    if request.references:
        embed.add_field(name="References", value=references_line(request)[:1024],
                        inline=False)
    if request.board:
        embed.add_field(name=_(tr("Board style")), value=typed(request.board)[:1024], inline=False)
    if request.preferences_applied:
        embed.add_field(name=_(tr("Preferences")), value=_(tr("applied")),
                        inline=False)
    if notes:
        embed.add_field(name=_(tr("Adjusted")), value="\n".join(render(n, lang) for n in notes
                                                                )[:1024], inline=False)
    made_by = provenance.made_by(model.label, provider_label(image.provider))
    embed.set_footer(text=_(tr("{made_by} · job {job}", made_by=made_by, job=job_id[-8:])))
    # The prompt takes the room the rest leaves within Discord's limit for the whole
    # embed (escaping can make it twice as long as typed), ending in "…" when cut.
    room = min(DESCRIPTION_MAX, EMBED_MAX - ADDED_LATER - len(embed))
    embed.description = clipped(typed(request.prompt), room)
    return embed


def clipped(text: str, limit: int) -> str:
    """`text`, or its first `limit` - 1 characters and "…" when it is longer."""
    return text if len(text) <= limit else text[:max(limit - 1, 0)] + "…"


# How each option reads in the embed; width and height are in the Size field already.
_READABLE: dict[str, Callable[[Any], str | Text | None]] = {
    "aspect_ratio": lambda v: tr("aspect ratio {value}", value=v) if v != "custom" else None,
    "steps": lambda v: trn("{n} step", "{n} steps", int(v)),
    "guidance": lambda v: tr("guidance {value}", value=v),
    "prompt_strength": lambda v: tr("prompt strength {value}", value=v),
    "output_format": lambda v: str(v).upper(),
    "output_quality": lambda v: tr("quality {value}", value=v),
    "safety_tolerance": lambda v: tr("safety tolerance {value}", value=v),
    "prompt_upsampling": lambda v: tr("prompt upsampling") if v else tr("no prompt upsampling"),
    "megapixels": lambda v: f"{v} MP",
    "go_fast": lambda v: tr("go fast") if v else tr("not go fast"),
    "width": lambda v: None,
    "height": lambda v: None,
}


def parameters_line(request: ImagineRequest, lang: str = SOURCE) -> str:
    """The options the member set, as one readable line: '16:9 · 30 steps · PNG'."""
    parts = []
    for name, value in request.options.items():
        readable = _READABLE.get(name, lambda v, name=name: f"{name} {v}")(value)
        if readable:
            parts.append(render(readable, lang))
    if request.attachment is not None:
        parts.append(tr("from {file}", file=typed(request.attachment.filename)).render(lang))
    return " · ".join(parts)


def references_line(request: ImagineRequest) -> str:
    """The reference images in the order they were sent (/blend), by file name, which
    the member chose and so is shown as plain text."""
    return " · ".join(
        f"{number}. {typed(r.filename)}"
        for number, r in enumerate(request.references, start=1))
