"""Asks a member to confirm a costly job before anything is reserved (`CONFIRM_ABOVE`).

The question lasts `CONFIRM_SECONDS`: an unanswered one expires and costs nothing. It is
kept with the request it runs (bot/continuity/questions.py), so a click after a restart
still runs it (cogs/continuity/confirm.py); nothing was reserved, so a restart costs
nothing either.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import discord

from bot import texts
from cogs.common.component import NOT_HERE

if TYPE_CHECKING:
    from bot.client import FluxBot
    from bot.jobs.request import ImagineRequest

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 120.0
# The questions this process waits on; a click on another was asked before a restart.
WAITING: set[int] = set()


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds:g} seconds"


class _Question(discord.ui.View):
    """Confirm and Cancel, for the member who asked only. Their custom_ids name the
    question, so a click sent for it from anywhere else is refused (cogs.common.component)."""

    def __init__(self, user_id: int, timeout: float, question_id: int) -> None:
        super().__init__(timeout=timeout)
        self.user_id = user_id
        self.answer: bool | None = None
        self.confirm.custom_id = f"fluxcord:confirm:{question_id}"
        self.cancel.custom_id = f"fluxcord:confirm-cancel:{question_id}"

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.user_id:
            return True
        await interaction.response.send_message(NOT_HERE, ephemeral=True)
        return False

    async def _answer(self, interaction: discord.Interaction[Any], answer: bool,
                      text: str) -> None:
        self.answer = answer
        self.stop()
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction[Any],
                      button: discord.ui.Button[Any]) -> None:
        await self._answer(interaction, True, "Confirmed: starting…")

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any],
                     button: discord.ui.Button[Any]) -> None:
        await self._answer(interaction, False, "Cancelled; nothing was charged.")


async def confirmed(interaction: discord.Interaction[FluxBot], cost: int, what: str,
                    request: ImagineRequest | None = None) -> bool:
    """True when the job may go ahead: it costs no more than `CONFIRM_ABOVE`, or the
    member pressed Confirm. Asks in the deferred private answer of `interaction`;
    `request`, what a click after a restart runs instead."""
    if cost <= interaction.client.services.settings.CONFIRM_ABOVE:
        return True
    question = _Question(interaction.user.id, CONFIRM_SECONDS, interaction.id)
    wait = _duration(CONFIRM_SECONDS)
    continuity = interaction.client.services.continuity
    if request is not None:
        await continuity.keep_question(str(interaction.id), request,
                                       time.time() + CONFIRM_SECONDS)
    WAITING.add(interaction.id)
    try:
        await interaction.edit_original_response(
            content=(f"This costs {texts.credits(cost)} ({what}). Confirm within {wait}; "
                     "nothing is charged before you do."),
            view=question,
        )
        timed_out = await question.wait()
    finally:
        WAITING.discard(interaction.id)
    # Answered here (a stop, which cancels the wait, leaves it for after the restart).
    await continuity.close_question(str(interaction.id))
    if timed_out:
        log.debug("cost question of %s expired", interaction.id)
        await interaction.edit_original_response(
            content=f"Not confirmed within {wait}: nothing was made or charged.", view=None)
        return False
    return bool(question.answer)


async def ask(interaction: discord.Interaction[FluxBot], question: str) -> bool:
    """Asks `question` with Confirm and Cancel in the deferred private answer of
    `interaction`; True when the member pressed Confirm within `CONFIRM_SECONDS`. The
    caller then says what happened, in the same answer."""
    view = _Question(interaction.user.id, CONFIRM_SECONDS, interaction.id)
    await interaction.edit_original_response(
        content=f"{question}\nConfirm within {_duration(CONFIRM_SECONDS)}.", view=view,
        allowed_mentions=discord.AllowedMentions.none())
    if await view.wait():  # timed out
        return False
    return bool(view.answer)
