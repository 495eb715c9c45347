"""The tools cog: registers the tools' buttons, Vary Region's select, their modals, and
the rows they add under every result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord.ext import commands

from bot.client import FluxBot
from bot.tools import TOOLS, Tool
from cogs.common.job.rows import result_rows
from cogs.common.modals import modal_answers
from cogs.tools.buttons import RegionSelect, ToolButton
from cogs.tools.run import answer_tool_modal


class Tools(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ToolButton, RegionSelect)
        # Which providers are configured does not change while the bot runs: the models
        # served are worked out once, not for every result posted.
        served = frozenset(self.bot.services.router.servable_models())
        rows = result_rows(self.bot)
        # The second and third rows, in TOOLS' order; each shown while a configured
        # provider serves its model.
        for position, which in enumerate(TOOLS):
            rows.add(f"tool-{which.key}", _maker(which), row=which.row, position=position,
                     shown=_served(served, which.model))
        # Tool modals are answered from their custom_id, also after a restart.
        modal_answers(self.bot).add("tool", answer_tool_modal)

    async def cog_unload(self) -> None:
        rows = result_rows(self.bot)
        for which in TOOLS:
            rows.remove(f"tool-{which.key}")
        modal_answers(self.bot).remove("tool")


def _served(served: frozenset[str], model: str) -> Callable[[], bool]:
    shown = model in served
    return lambda: shown


def _maker(which: Tool) -> Callable[[str, str], discord.ui.Item[Any]]:
    return lambda job_id, lang: ToolButton(job_id, which, lang)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Tools(bot))
