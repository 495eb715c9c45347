"""/blend: one FLUX.2 [pro] image from a prompt and up to 8 reference images, the
attachments first, then the board's most recent images.

The same job flow as /imagine (checks, cap, moderation, credits, progress, result and
buttons); the model is the catalogue's blend, and the references travel as BFL's
`input_image` ... `input_image_8`.
"""

# No `from __future__ import annotations` here: discord.py reads the Range bounds below
# from the signature, and they are computed from the catalogue at import.

import dataclasses

import discord
from discord import app_commands
from discord.ext import commands

from bot.blend import MAX_REFERENCES, MODEL, check_attachment, gather
from bot.catalogue import MODELS, RATIOS, SEED_MAX
from bot.client import FluxBot
from bot.jobs.request import Attachment
from bot.replies import defer_private
from cogs.blend.board import board_references
from cogs.common.autocomplete import board_names
from cogs.common.context import request_here
from cogs.common.job.result import run_job

_SCHEMA = MODELS[MODEL].schemas[0]
_SAFETY = _SCHEMA.params["safety_tolerance"]
assert _SAFETY.min is not None and _SAFETY.max is not None
SAFETY_MIN, SAFETY_MAX = int(_SAFETY.min), int(_SAFETY.max)
PROMPT_MAX = int(_SCHEMA.params["prompt"].max or 2000)
RATIO_CHOICES = [app_commands.Choice(name=r, value=r) for r in RATIOS]
FORMAT_CHOICES = [
    app_commands.Choice(name=f, value=f) for f in _SCHEMA.params["output_format"].choices
]


def _attachment(image: discord.Attachment, name: str) -> Attachment:
    return Attachment(image.url, image.filename, image.content_type, image.size,
                      width=image.width, height=image.height, name=name)


class Blend(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(
        prompt="What to make; refer to the references as image 1, image 2, ...",
        image1="The first reference image",
        image2="A second reference image",
        image3="A third reference image",
        image4="A fourth reference image",
        board="A board of this server: its most recent images are added as references",
        aspect_ratio="Shape of the result (default: the first reference's)",
        seed="Seed, to reproduce an image (random if unset)",
        safety_tolerance="1 is strictest; capped by the server",
        output_format="File format of the result",
    )
    @app_commands.autocomplete(board=board_names)
    @app_commands.choices(aspect_ratio=RATIO_CHOICES, output_format=FORMAT_CHOICES)
    async def blend(
        self,
        interaction: discord.Interaction[FluxBot],
        prompt: app_commands.Range[str, 1, PROMPT_MAX],
        image1: discord.Attachment,
        image2: discord.Attachment | None = None,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        board: app_commands.Range[str, 1, 100] | None = None,
        aspect_ratio: str | None = None,
        seed: app_commands.Range[int, 0, SEED_MAX] | None = None,
        safety_tolerance: app_commands.Range[int, SAFETY_MIN, SAFETY_MAX] | None = None,
        output_format: str | None = None,
    ) -> None:
        """Make one image from a prompt and reference images (FLUX.2 [pro])"""
        await defer_private(interaction)
        given = {"image1": image1, "image2": image2, "image3": image3, "image4": image4}
        attachments = [_attachment(a, n) for n, a in given.items() if a is not None]
        max_pixels = self.bot.services.settings.MAX_INPUT_PIXELS
        for attachment in attachments:
            check_attachment(attachment, max_pixels)
        from_board: list[Attachment] = []
        if board is not None:
            from_board = await board_references(
                self.bot, interaction.guild_id or 0, board, MAX_REFERENCES - len(attachments))
            for attachment in from_board:
                check_attachment(attachment, max_pixels)
        options = {"aspect_ratio": aspect_ratio, "safety_tolerance": safety_tolerance,
                   "output_format": output_format}
        request = request_here(interaction, prompt, model=MODEL,
                               options={k: v for k, v in options.items() if v is not None},
                               seed=seed)
        # Frozen: the member's presets, preferences and boards' styles do not change a
        # blend's model or options; the board only lends its images.
        request = dataclasses.replace(request, frozen=True,
                                      references=gather(attachments, from_board))
        await run_job(interaction, request)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Blend(bot))
