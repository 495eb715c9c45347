"""The tools cog: registers the tools' buttons, Vary Region's select, their modals, and
the rows they add under every result."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.client import FluxBot
from cogs.common.job.result import RESULT_ROWS
from cogs.tools.buttons import RegionSelect, ToolButton, tool_rows
from cogs.tools.run import answer_tool_modal


class Tools(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ToolButton, RegionSelect)
        router = self.bot.services.router
        RESULT_ROWS["tools"] = lambda job_id: tool_rows(job_id, router)

    async def cog_unload(self) -> None:
        RESULT_ROWS.pop("tools", None)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Tool modals are answered from their custom_id, also after a restart."""
        await answer_tool_modal(interaction)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Tools(bot))
