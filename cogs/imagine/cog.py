"""/imagine: a prompt and options in, a public image with Reroll/Edit/Delete out."""

# No `from __future__ import annotations` here: discord.py reads the option types from the
# signature, and their bounds are computed from the catalogue at import.

import dataclasses
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import FluxBot
from bot.permutations import parse
from bot.replies import defer_private
from cogs.common.job.result import (
    DeleteButton,
    EditButton,
    RerollButton,
    add_result_buttons,
    answer_edit_submit,
    run_job,
)
from cogs.common.modals import modal_answers
from cogs.common.options import (
    Count,
    Guidance,
    Named,
    Prompt,
    Quality,
    Safety,
    Seed,
    Side,
    Steps,
    Strength,
    imagine_options,
    imagine_request,
)
from cogs.imagine.permutations import run_permutations

log = logging.getLogger(__name__)


class Imagine(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RerollButton, EditButton, DeleteButton)
        add_result_buttons(self.bot)
        # Edit modals are answered from their custom_id, also after a restart.
        modal_answers(self.bot).add("edit", answer_edit_submit)

    async def cog_unload(self) -> None:
        modal_answers(self.bot).remove("edit")

    @app_commands.command()
    @imagine_options()
    async def imagine(
        self,
        interaction: discord.Interaction[FluxBot],
        prompt: Prompt,
        model: str | None = None,
        aspect_ratio: str | None = None,
        width: Side | None = None,
        height: Side | None = None,
        steps: Steps | None = None,
        guidance: Guidance | None = None,
        seed: Seed | None = None,
        image: discord.Attachment | None = None,
        prompt_strength: Strength | None = None,
        output_format: str | None = None,
        output_quality: Quality | None = None,
        safety_tolerance: Safety | None = None,
        prompt_upsampling: bool | None = None,
        megapixels: str | None = None,
        go_fast: bool | None = None,
        board: Named | None = None,
        preset: Named | None = None,
        count: Count | None = None,
    ) -> None:
        """Generate an image with a FLUX model"""
        # The signature declares the options to Discord; `imagine_request` reads them.
        await defer_private(interaction)
        request = imagine_request(interaction)
        template = parse(request.prompt)  # `{a, b}` groups: one job per combination
        if template.combinations == 1:
            prompt = next(template.variants()).prompt  # escapes removed
            await run_job(interaction, dataclasses.replace(request, prompt=prompt))
        else:
            await run_permutations(interaction, request, template)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Imagine(bot))

