"""The Cancel button on a queued job's private progress message (requester only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.cancelling import CancelOutcome
from bot.client import report_error
from bot.errors import UserError
from bot.i18n import SOURCE, tr
from cogs.common.component import JOB, JobChecked

if TYPE_CHECKING:
    from bot.client import FluxBot

_REFUSALS = {
    CancelOutcome.NOT_YOURS: tr("Only the member who asked can cancel this job."),
    CancelOutcome.STARTED: tr("Your job is already at the provider; it can no longer be "
                              "cancelled."),
    CancelOutcome.UNKNOWN: tr("That job is no longer waiting."),
}


class CancelButton(JobChecked, discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"fluxcord:cancel:" + JOB):
    """Cancels the job while it waits in the queue; its credits come back at once."""

    def __init__(self, job_id: str, lang: str = SOURCE) -> None:
        super().__init__(discord.ui.Button(
            label=tr("Cancel").render(lang), style=discord.ButtonStyle.secondary,
            custom_id=f"fluxcord:cancel:{job_id}",
        ))
        self.job_id = job_id

    requester_only = True

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        outcome = interaction.client.services.jobs.waiting.cancel(self.job_id,
                                                                  interaction.user.id)
        if outcome is CancelOutcome.CANCELLED:
            # The job's own message says "Cancelled" once the refund is written.
            await interaction.response.defer()
            return
        await report_error(interaction, UserError(_REFUSALS[outcome]))


def cancel_view(job_id: str, lang: str = SOURCE) -> discord.ui.View:
    """The view of a queued job's progress message, in the member's language `lang`."""
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(job_id, lang))
    return view
