"""A tool's modal and its job: the source image read back from Discord's copy of the
result, its options (bot/tools), then the job flow every image takes (`run_job`).

The modal's custom_id names the tool, the job, Vary Region's cells and this opening, so
its submit is answered from that alone, also after a restart.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord

from bot.catalogue import PROMPT_MAX
from bot.client import report_error
from bot.credits.rows import Job
from bot.errors import UserError
from bot.i18n import SOURCE, Text, render, tr
from bot.jobs.request import Attachment
from bot.replies import defer_private
from bot.tools import TOOLS, Tool, tool
from bot.tools.source import tool_input
from cogs.common.component import (
    JOB,
    admit_job,
    image_number,
    modal_ids,
    modal_values,
    submitted_modal,
    which_image_input,
)
from cogs.common.context import request_here
from cogs.common.job.result import run_job
from cogs.common.language import member_language
from cogs.common.posted import PostedImage, read_posted, reading_for

if TYPE_CHECKING:
    from bot.client import FluxBot

_KEYS = "|".join(re.escape(t.key) for t in TOOLS)
SUBMIT = modal_ids(r"fluxcord:tool-modal:(?P<tool>" + _KEYS + r"):" + JOB
                   + r":(?P<cells>[1-9]{0,8}):[0-9]{1,20}")


class ToolModal(discord.ui.Modal):
    """What to paint (optional for Zoom Out and Pan, asked for Vary Region) and, with
    several images, which one."""

    def __init__(self, which: Tool, job_id: str, images: int, opening_id: int, *,
                 cells: str = "", lang: str = SOURCE) -> None:
        super().__init__(
            title=tr("Remake the image").render(lang),
            custom_id=f"fluxcord:tool-modal:{which.key}:{job_id}:{cells}:{opening_id}",
            timeout=None)
        if which.asks_prompt:
            self.add_item(discord.ui.TextInput(
                label=tr("What to paint in the new area (optional)").render(lang),
                style=discord.TextStyle.paragraph, required=False, max_length=PROMPT_MAX,
                custom_id="prompt",
                placeholder=tr("empty: the image's own prompt").render(lang)))
        elif which.model == "vary-region":
            self.add_item(discord.ui.TextInput(
                label=tr("What to put there").render(lang), style=discord.TextStyle.paragraph,
                max_length=PROMPT_MAX, custom_id="prompt",
                placeholder=tr("a red kite…").render(lang)))
        if images > 1:
            self.add_item(which_image_input(images, lang))
        self.stop()  # answered by `answer_tool_modal` from its custom_id, not kept


async def answer_tool_modal(interaction: discord.Interaction[FluxBot]) -> bool:
    """Runs the tool a tool modal asked for; False when `interaction` is not one."""
    match = submitted_modal(interaction, SUBMIT)
    if match is None:
        return False
    job = await admit_job(interaction, match["job"])
    if job is None:
        return True  # refused, and told so
    chosen = tool(match["tool"])
    data: Any = interaction.data or {}
    values = modal_values(data.get("components", []))
    try:
        prompt = values.get("prompt", "").strip()
        if len(prompt) > PROMPT_MAX:
            raise UserError(tr("Say it in at most {most} characters. Press {button} again.",
                               most=PROMPT_MAX, button=chosen.label))
        if chosen.model == "vary-region" and not prompt:
            raise UserError(tr("Say what to put in those parts. Press Vary Region again."))
        if chosen.model == "vary-region" and not match["cells"]:
            raise UserError(tr("Pick the parts to repaint first. Press Vary Region again."))
        images = images_of(job.options)
        which = image_number(values.get("which", "1"), images, chosen.label)
    except UserError as exc:
        await report_error(interaction, exc)
        return True
    await run_tool(interaction, job, chosen, which=which, prompt=prompt,
                   cells=",".join(match["cells"]))
    return True


async def run_tool(interaction: discord.Interaction[FluxBot], job: Job, chosen: Tool, *,
                   which: int, prompt: str = "", cells: str = "") -> None:
    """Reads image `which` of the job's result from Discord, then runs the tool on it as
    a job of its own, charged to the member who asked."""
    await defer_private(interaction)
    try:
        note = await _run(interaction, job, chosen, which, prompt, cells)
    except Exception as exc:
        await report_error(interaction, exc)
        return
    if note:
        await interaction.followup.send(render(note, member_language(interaction)),
                                        ephemeral=True)


async def _run(interaction: discord.Interaction[FluxBot], job: Job, chosen: Tool,
               which: int, prompt: str, cells: str) -> Text | None:
    if chosen.model == "vary" and not job.prompt:
        raise UserError(tr("This image's prompt was erased, so it cannot be varied."))
    if job.message_id is None:
        raise UserError(tr("This result has no image left."))
    bot = interaction.client
    # Discord's copy, through the message fetched again: fresh links, and a message
    # deleted since is found out here, before any charge.
    with reading_for(interaction):
        filename, data = await read_posted(bot, PostedImage(
            job.guild_id, job.channel_id, job.message_id, which), tr("remade"))
        made = await tool_input(chosen, data, bot.services.settings.MAX_INPUT_PIXELS, cells)
    request = request_here(
        interaction, prompt or job.prompt, model=chosen.model, options=made.options,
        attachment=Attachment(f"attachment://{filename}", filename, None, len(made.data),
                              data=made.data),
        channel_id=job.channel_id, source=job.id)
    # The tool's options are final: no preset, board style or preference applies again
    # (the source prompt already carries its suffix).
    await run_job(interaction, dataclasses.replace(request, frozen=True))
    return made.note


def images_of(job_options: Mapping[str, Any]) -> int:
    """How many images the job's result holds."""
    count = job_options.get("count", 1)
    return count if isinstance(count, int) and 1 <= count <= 4 else 1
