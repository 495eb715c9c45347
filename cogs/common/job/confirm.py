"""Asks a member to confirm a costly job before anything is reserved (the job asks
through its UI when the cost is over `CONFIRM_ABOVE`).

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
from bot.i18n import SOURCE, Text, catalogue, join, tr, trn
from bot.jobs.ports import Confirm
from cogs.common.component import NOT_HERE

if TYPE_CHECKING:
    from bot.client import FluxBot
    from bot.jobs.request import ImagineRequest

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 120.0
# The questions this process waits on; a click on another was asked before a restart.
WAITING: set[int] = set()


def _duration(seconds: float) -> Text:
    if seconds >= 60 and seconds % 60 == 0:
        return trn("{n} minute", "{n} minutes", int(seconds // 60))
    if seconds != int(seconds):
        shown = f"{seconds:g}"
        return tr("{seconds} seconds", seconds=shown)
    return trn("{n} second", "{n} seconds", int(seconds))


class _Question(discord.ui.View):
    """Confirm and Cancel, for the member who asked only. Their custom_ids name the
    question, so a click sent for it from anywhere else is refused (cogs.common.component)."""

    def __init__(self, user_id: int, timeout: float, question_id: int,
                 lang: str = SOURCE) -> None:
        super().__init__(timeout=timeout)
        self.user_id = user_id
        self.lang = lang
        self.confirm.label = tr("Confirm").render(lang)
        self.cancel.label = tr("Cancel").render(lang)
        self.answer: bool | None = None
        self.confirm.custom_id = f"fluxcord:confirm:{question_id}"
        self.cancel.custom_id = f"fluxcord:confirm-cancel:{question_id}"

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.user_id:
            return True
        await interaction.response.send_message(NOT_HERE.render(interaction.locale),
                                                ephemeral=True)
        return False

    async def _answer(self, interaction: discord.Interaction[Any], answer: bool,
                      text: Text) -> None:
        self.answer = answer
        self.stop()
        await interaction.response.edit_message(content=text.render(self.lang), view=None)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction[Any],
                      button: discord.ui.Button[Any]) -> None:
        await self._answer(interaction, True, tr("Confirmed: starting…"))

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any],
                     button: discord.ui.Button[Any]) -> None:
        await self._answer(interaction, False, tr("Cancelled; nothing was charged."))


def cost_question(interaction: discord.Interaction[FluxBot],
                  request: ImagineRequest | None = None) -> Confirm:
    """The job's `confirm` (bot/jobs/ports.py) for `interaction`: asks in its deferred
    private answer whether the member takes the cost; True when they pressed Confirm.
    `request`, what a click after a restart runs instead."""

    async def confirm(cost: int, what: str) -> bool:
        lang = catalogue(interaction.locale)
        question = _Question(interaction.user.id, CONFIRM_SECONDS, interaction.id, lang)
        wait = _duration(CONFIRM_SECONDS)
        continuity = interaction.client.services.continuity
        if request is not None:
            await continuity.keep_question(str(interaction.id), request,
                                           time.time() + CONFIRM_SECONDS)
        WAITING.add(interaction.id)
        try:
            await interaction.edit_original_response(
                content=tr("This costs {cost} ({what}). Confirm within {wait}; nothing is "
                           "charged before you do.", cost=texts.credits(cost), what=what,
                           wait=wait).render(lang),
                view=question,
            )
            timed_out = await question.wait()
            # Answered here (a stop, which cancels the wait, leaves it for after the
            # restart); closed while its clicks are still this view's, so that a second
            # click cannot also run it as a kept question (cogs/continuity/confirm.py).
            closed = await continuity.close_question(str(interaction.id))
        finally:
            WAITING.discard(interaction.id)
        if request is not None and not closed:
            return False  # run by a click the kept question answered: not a second time
        if timed_out:
            log.debug("cost question of %s expired", interaction.id)
            await interaction.edit_original_response(
                content=tr("Not confirmed within {wait}: nothing was made or charged.",
                           wait=wait).render(lang), view=None)
            return False
        return bool(question.answer)

    return confirm


async def ask(interaction: discord.Interaction[FluxBot], question: str) -> bool:
    """Asks `question` with Confirm and Cancel in the deferred private answer of
    `interaction`; True when the member pressed Confirm within `CONFIRM_SECONDS`. The
    caller then says what happened, in the same answer."""
    lang = catalogue(interaction.locale)
    view = _Question(interaction.user.id, CONFIRM_SECONDS, interaction.id, lang)
    # Its clicks are this view's alone: not a kept question's (cogs/continuity/confirm.py),
    # which would also answer them, saying the question expired.
    WAITING.add(interaction.id)
    try:
        await interaction.edit_original_response(
            content=join([question, tr("Confirm within {wait}.",
                                       wait=_duration(CONFIRM_SECONDS))], "\n").render(lang),
            view=view, allowed_mentions=discord.AllowedMentions.none())
        timed_out = await view.wait()
    finally:
        WAITING.discard(interaction.id)
    return not timed_out and bool(view.answer)
