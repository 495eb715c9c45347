"""The tools' rows under a result, and Vary Region's private grid select.

Each button carries the tool's key and the job; which image of a result it works on is
asked first when the result holds several (in the modal, or the select's modal), as
`Edit image` does. A button is shown only when a configured provider serves its tool.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.client import report_error
from bot.errors import UserError
from bot.i18n import SOURCE, render, tr
from bot.tools import TOOLS, Tool, tool
from bot.tools.mask import CELL_NAMES, CELLS, parse_cells
from cogs.common.component import JOB, JobChecked
from cogs.common.language import member_language
from cogs.tools.run import ToolModal, images_of, run_tool

if TYPE_CHECKING:
    from bot.client import FluxBot

KEYS = "|".join(re.escape(t.key) for t in TOOLS)


class ToolButton(JobChecked, discord.ui.DynamicItem[discord.ui.Button[Any]],
                 template=r"fluxcord:tool:(?P<tool>" + KEYS + r"):" + JOB):
    """One tool under a result; charged to whoever clicks, as Reroll is."""

    def __init__(self, job_id: str, which: Tool, lang: str = SOURCE) -> None:
        emoji = "🔲" if which.model == "vary-region" else None
        super().__init__(discord.ui.Button(
            label=render(which.label, lang), style=discord.ButtonStyle.secondary, row=which.row,
            custom_id=f"fluxcord:tool:{which.key}:{job_id}", emoji=emoji))
        self.job_id = job_id
        self.tool = which

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]) -> Any:
        return cls(match["job"], tool(match["tool"]))

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        images = images_of(self.job.options)
        lang = member_language(interaction)
        if self.tool.model == "vary-region":
            await interaction.response.send_message(
                tr("Which parts should be repainted? The image is cut in a 3×3 grid."
                   ).render(lang), view=region_view(self.job_id, lang), ephemeral=True)
        elif self.tool.asks_prompt or images > 1:
            await interaction.response.send_modal(
                ToolModal(self.tool, self.job_id, images, interaction.id, lang=lang))
        else:
            await run_tool(interaction, self.job, self.tool, which=1)


def region_view(job_id: str, lang: str = SOURCE) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RegionSelect(job_id, lang))
    return view


class RegionSelect(JobChecked, discord.ui.DynamicItem[discord.ui.Select[Any]],
                   template=r"fluxcord:region:" + JOB):
    """Vary Region's cells, then a modal for what to put there."""

    def __init__(self, job_id: str, lang: str = SOURCE) -> None:
        super().__init__(discord.ui.Select(
            custom_id=f"fluxcord:region:{job_id}",
            placeholder=tr("Parts to repaint").render(lang),
            min_values=1, max_values=CELLS - 1,
            options=[discord.SelectOption(label=f"{n}: {render(name, lang)}", value=str(n))
                     for n, name in enumerate(CELL_NAMES, start=1)]))
        self.job_id = job_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        data: Any = interaction.data or {}
        values = data.get("values") or []
        try:
            if not isinstance(values, list) or not values:
                raise UserError(tr("Pick the parts to repaint from the list (cells 1-9)."))
            cells = "".join(map(str, parse_cells(",".join(str(v) for v in values))))
        except UserError as exc:
            await report_error(interaction, exc)
            return
        region = tool("region")
        await interaction.response.send_modal(ToolModal(
            region, self.job_id, images_of(self.job.options), interaction.id,
            cells=cells, lang=member_language(interaction)))
