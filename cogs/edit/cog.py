"""/edit: change an uploaded image as the prompt says, with flux-2-pro's image editor.

The same job flow as /imagine (checks, cap, credits, progress, result and buttons); only
the model is fixed to the catalogue's editor and the image is required.
"""

# No `from __future__ import annotations` here: discord.py reads the Range bounds below
# from the signature, and they are computed from the catalogue at import.

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import MODELS
from bot.client import FluxBot
from bot.replies import defer_private
from cogs.common.job.cancel import CancelButton
from cogs.common.job.result import run_job
from cogs.common.job.rows import result_rows
from cogs.common.modals import modal_answers
from cogs.common.options import Seed, imagine_options, imagine_request
from cogs.edit.edit_image import EditImageButton, answer_edit_image

# Where Edit image stands under a result: after Add to board.
EDIT_IMAGE = 50

EDITOR = next(m for m in MODELS.values() if m.edits)
_SCHEMA = EDITOR.schemas[0]


def _bounds(option: str) -> tuple[float, float]:
    param = _SCHEMA.params[option]
    assert param.min is not None and param.max is not None
    return param.min, param.max


STEPS_MIN, STEPS_MAX = (int(v) for v in _bounds("steps"))
GUIDANCE_MIN, GUIDANCE_MAX = _bounds("guidance")
QUALITY_MIN, QUALITY_MAX = (int(v) for v in _bounds("output_quality"))
SAFETY_MIN, SAFETY_MAX = (int(v) for v in _bounds("safety_tolerance"))
PROMPT_MAX = int(_SCHEMA.params["prompt"].max or 2000)
RATIO_CHOICES = [
    app_commands.Choice(name=r, value=r) for r in _SCHEMA.params["aspect_ratio"].choices
]
FORMAT_CHOICES = [
    app_commands.Choice(name=f, value=f) for f in _SCHEMA.params["output_format"].choices
]


class Edit(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # The Cancel button of queued jobs, /imagine's and /edit's alike, and Edit image.
        self.bot.add_dynamic_items(CancelButton, EditImageButton)
        result_rows(self.bot).add("edit-image", EditImageButton, position=EDIT_IMAGE)
        # Edit image modals are answered from their custom_id, also after a restart.
        modal_answers(self.bot).add(
            "edit-image", lambda interaction: answer_edit_image(interaction, run_job))

    async def cog_unload(self) -> None:
        result_rows(self.bot).remove("edit-image")
        modal_answers(self.bot).remove("edit-image")

    @app_commands.command()
    @imagine_options(
        describe={"image": "The image to change", "prompt": "What to change, in words",
                  "aspect_ratio": "Shape of the result (default: the input image's)",
                  "seed": "Seed, to reproduce an edit (random if unset)"},
        choices={"aspect_ratio": RATIO_CHOICES, "output_format": FORMAT_CHOICES},
        uncompleted=("prompt",))
    async def edit(
        self,
        interaction: discord.Interaction[FluxBot],
        image: discord.Attachment,
        prompt: app_commands.Range[str, 1, PROMPT_MAX],
        aspect_ratio: str | None = None,
        seed: Seed | None = None,
        steps: app_commands.Range[int, STEPS_MIN, STEPS_MAX] | None = None,
        guidance: app_commands.Range[float, GUIDANCE_MIN, GUIDANCE_MAX] | None = None,
        output_format: str | None = None,
        output_quality: app_commands.Range[int, QUALITY_MIN, QUALITY_MAX] | None = None,
        safety_tolerance: app_commands.Range[int, SAFETY_MIN, SAFETY_MAX] | None = None,
        prompt_upsampling: bool | None = None,
    ) -> None:
        """Change an image as the prompt describes"""
        # The signature declares the options to Discord (the editor's own ranges and
        # choices); `imagine_request` reads them.
        await defer_private(interaction)
        await run_job(interaction, imagine_request(interaction, model=EDITOR.id))


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Edit(bot))
