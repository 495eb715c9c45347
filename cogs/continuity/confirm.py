"""Confirm and Cancel clicked on a question asked before a restart: answered from the kept
question (bot/continuity/questions.py). A question this process still waits on is left to
its own view (cogs/common/job/confirm.py)."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import discord

from bot.client import report_error
from bot.continuity.questions import OpenQuestion
from bot.errors import UserError
from bot.i18n import Text, tr
from cogs.common.component import Checked, NotHere
from cogs.common.job.confirm import WAITING
from cogs.common.job.result import run_job

if TYPE_CHECKING:
    from bot.client import FluxBot

QUESTION = r"(?P<question>[0-9]{1,20})"


def closed_text() -> Text:
    """What a click on a question no longer open reads."""
    return tr("This question has expired: nothing was made or charged. Use the command "
              "again.")


class _KeptAnswer(Checked):
    """A button of a kept question: the member who was asked, in the server where."""

    question_id: str
    question: OpenQuestion

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]) -> Any:
        return cls(match["question"])  # type: ignore[call-arg]

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if int(self.question_id) in WAITING:
            return False  # asked by this process: its own view answers
        return await super().interaction_check(interaction)

    async def admit(self, interaction: discord.Interaction[FluxBot]) -> None:
        found = await interaction.client.services.continuity.open_question(self.question_id)
        if found is None:
            raise UserError(closed_text())
        if found.guild_id != (interaction.guild_id or 0) or found.user_id != interaction.user.id:
            raise NotHere
        self.question = found

    async def _close(self, interaction: discord.Interaction[FluxBot]) -> bool:
        """Closes the question; False (the member told) when it expired or another click
        closed it first."""
        continuity = interaction.client.services.continuity
        closed = closed_text().render(interaction.locale)
        if not await continuity.close_question(self.question_id):
            await interaction.response.edit_message(content=closed, view=None)
            return False
        if self.question.expires_at < time.time():
            await interaction.response.edit_message(content=closed, view=None)
            return False
        return True


class ConfirmKept(_KeptAnswer, discord.ui.DynamicItem[discord.ui.Button[Any]],
                  template=r"fluxcord:confirm:" + QUESTION):
    """Confirm, after a restart: runs the kept request (checked again, charged now)."""

    def __init__(self, question_id: str) -> None:
        super().__init__(discord.ui.Button(label="Confirm", style=discord.ButtonStyle.success,
                                           custom_id=f"fluxcord:confirm:{question_id}"))
        self.question_id = question_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        if not await self._close(interaction):
            return
        await interaction.response.edit_message(
            content=tr("Confirmed: starting…").render(interaction.locale), view=None)
        try:
            await run_job(interaction, self.question.request, confirmed_already=True)
        except Exception as exc:
            await report_error(interaction, exc)


class CancelKept(_KeptAnswer, discord.ui.DynamicItem[discord.ui.Button[Any]],
                 template=r"fluxcord:confirm-cancel:" + QUESTION):
    """Cancel, after a restart: the question is closed; nothing was charged."""

    def __init__(self, question_id: str) -> None:
        super().__init__(discord.ui.Button(label="Cancel", style=discord.ButtonStyle.secondary,
                                           custom_id=f"fluxcord:confirm-cancel:{question_id}"))
        self.question_id = question_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        if await self._close(interaction):
            await interaction.response.edit_message(
                content=tr("Cancelled; nothing was charged.").render(interaction.locale),
                view=None)
