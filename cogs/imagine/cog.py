"""/imagine: a prompt and options in, a public image with Reroll/Edit/Delete out."""

# No `from __future__ import annotations` here: discord.py reads the Range bounds below
# from the signature, and they are computed from the catalogue at import.

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import PROMPT_MAX, SEED_MAX
from bot.client import FluxBot
from bot.count import COUNT_MAX
from bot.jobs.request import Attachment
from bot.permutations import parse
from bot.replies import defer_private
from cogs.common.autocomplete import board_names, preset_names, recent_prompts
from cogs.common.component import answer_forged
from cogs.common.context import MODEL_CHOICES, request_here
from cogs.common.job.result import (
    DeleteButton,
    EditButton,
    RerollButton,
    answer_edit_submit,
    run_job,
)
from cogs.common.options import (
    FORMAT_CHOICES,
    GUIDANCE_MAX,
    GUIDANCE_MIN,
    MEGAPIXEL_CHOICES,
    QUALITY_MAX,
    QUALITY_MIN,
    RATIO_CHOICES,
    SAFETY_MAX,
    SAFETY_MIN,
    SIDE_MAX,
    SIDE_MIN,
    STEPS_MAX,
    STEPS_MIN,
    STRENGTH_MAX,
    STRENGTH_MIN,
)
from cogs.imagine.permutations import run_permutations

log = logging.getLogger(__name__)


class Imagine(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RerollButton, EditButton, DeleteButton)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Edit modals are answered from their custom_id, also after a restart; a click
        or submit with an id of the bot's that fits nothing is refused."""
        await answer_edit_submit(interaction)
        await answer_forged(interaction)

    @app_commands.command()
    @app_commands.describe(
        prompt="What to draw",
        model="Which FLUX model (default: this server's)",
        aspect_ratio="Shape of the image; custom uses width and height",
        width="Width in pixels, with aspect_ratio custom",
        height="Height in pixels, with aspect_ratio custom",
        steps="Diffusion steps: more is slower and finer",
        guidance="How closely to follow the prompt",
        seed="Seed, to reproduce an image (random if unset)",
        image="An image to start from or to guide the composition",
        prompt_strength="How far to move away from the input image (0-1)",
        output_format="File format of the result",
        output_quality="Compression quality (0-100)",
        safety_tolerance="1 is strictest; capped by the server",
        prompt_upsampling="Let the model enrich the prompt",
        megapixels="Output size in megapixels (flux-dev)",
        go_fast="Faster, slightly rougher generation (flux-dev)",
        board="A board of this server: its style fills the options you leave unset",
        preset="One of your presets: its options fill the ones you leave unset",
        count="How many images (1-4), each with its own seed; each one costs the model's price",
    )
    @app_commands.autocomplete(board=board_names, prompt=recent_prompts, preset=preset_names)
    @app_commands.choices(
        model=MODEL_CHOICES,
        aspect_ratio=RATIO_CHOICES,
        output_format=FORMAT_CHOICES,
        megapixels=MEGAPIXEL_CHOICES,
    )
    async def imagine(
        self,
        interaction: discord.Interaction[FluxBot],
        prompt: app_commands.Range[str, 1, PROMPT_MAX],
        model: str | None = None,
        aspect_ratio: str | None = None,
        width: app_commands.Range[int, SIDE_MIN, SIDE_MAX] | None = None,
        height: app_commands.Range[int, SIDE_MIN, SIDE_MAX] | None = None,
        steps: app_commands.Range[int, STEPS_MIN, STEPS_MAX] | None = None,
        guidance: app_commands.Range[float, GUIDANCE_MIN, GUIDANCE_MAX] | None = None,
        seed: app_commands.Range[int, 0, SEED_MAX] | None = None,
        image: discord.Attachment | None = None,
        prompt_strength: app_commands.Range[float, STRENGTH_MIN, STRENGTH_MAX] | None = None,
        output_format: str | None = None,
        output_quality: app_commands.Range[int, QUALITY_MIN, QUALITY_MAX] | None = None,
        safety_tolerance: app_commands.Range[int, SAFETY_MIN, SAFETY_MAX] | None = None,
        prompt_upsampling: bool | None = None,
        megapixels: str | None = None,
        go_fast: bool | None = None,
        board: app_commands.Range[str, 1, 100] | None = None,
        preset: app_commands.Range[str, 1, 100] | None = None,
        count: app_commands.Range[int, 1, COUNT_MAX] | None = None,
    ) -> None:
        """Generate an image with a FLUX model"""
        await defer_private(interaction)
        options = {
            "aspect_ratio": aspect_ratio,
            "width": width,
            "height": height,
            "steps": steps,
            "guidance": guidance,
            "prompt_strength": prompt_strength,
            "output_format": output_format,
            "output_quality": output_quality,
            "safety_tolerance": safety_tolerance,
            "prompt_upsampling": prompt_upsampling,
            "megapixels": megapixels,
            "go_fast": go_fast,
        }
        set_options = {k: v for k, v in options.items() if v is not None}
        if ("width" in set_options or "height" in set_options) and aspect_ratio is None:
            set_options["aspect_ratio"] = "custom"  # width/height imply a custom shape
        attachment = None
        if image is not None:
            attachment = Attachment(image.url, image.filename, image.content_type, image.size)
        template = parse(prompt)  # `{a, b}` groups: one job per combination
        single = template.combinations == 1
        request = request_here(interaction, next(template.variants()).prompt if single else prompt,
                               model=model, options=set_options, attachment=attachment,
                               seed=seed, board=board, preset=preset, count=count or 1)
        if single:
            await run_job(interaction, request)
        else:
            await run_permutations(interaction, request, template)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Imagine(bot))

