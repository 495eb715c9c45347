"""The review channel's Approve and Reject buttons (Manage Messages only).

Approve removes the strike and, for a blocklist hit, runs the refused job once: charged
to the member then, with every usual check but the blocklist, and posted in the channel
they asked in with a mention. Reject keeps the strike. Either way the member is told
(cogs.common.job.refusal.tell_member). The buttons are DynamicItems: they work after a restart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.client import report_error
from bot.errors import UserError
from bot.i18n import tr
from bot.jobs.ports import JobUI
from bot.jobs.request import Progress
from bot.moderation.screen import request_from_subject
from bot.moderation.store import AppealRow
from bot.providers.base import GeneratedImage
from bot.replies import defer_private, reply
from cogs.common.component import STRIKE, Checked, NotHere
from cogs.common.job.delivery import fit_upload, post_result
from cogs.common.job.embed import result_embed
from cogs.common.job.refusal import decided_line, review_embed, review_view, tell_member
from cogs.common.job.result import result_view
from cogs.common.language import server_language
from cogs.common.links import jump_link

if TYPE_CHECKING:
    from bot.client import FluxBot


class _DecisionButton(Checked):
    """What Approve and Reject share: the appeal must be of this server."""

    strike_id: str
    approve: bool

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]) -> Any:
        return cls(match["strike"])  # type: ignore[call-arg]

    async def admit(self, interaction: discord.Interaction[FluxBot]) -> None:
        appeal = await interaction.client.services.moderation.appeal(self.strike_id)
        if appeal is None or appeal.guild_id != (interaction.guild_id or 0):
            raise NotHere

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self._decide(interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    async def _decide(self, interaction: discord.Interaction[FluxBot]) -> None:
        if not interaction.permissions.manage_messages:
            raise UserError(tr("Only members with the Manage Messages permission can decide "
                               "appeals."))
        await defer_private(interaction)
        bot = interaction.client
        appeal = await bot.services.moderation.decide(self.strike_id, self.approve,
                                                      interaction.user.id)
        if interaction.message is not None:
            lang = await server_language(interaction)
            embed = review_embed(appeal, lang)
            embed.add_field(name=tr("Decision").render(lang),
                            value=decided_line(appeal).render(lang), inline=False)
            try:
                await interaction.message.edit(
                    embed=embed, view=review_view(appeal, decided=appeal.state, lang=lang))
            except discord.HTTPException:
                pass  # the decision stands; the message only shows it
        if not self.approve:
            await tell_member(bot, appeal, tr("Your appeal was rejected by the moderators: the "
                                              "strike stays."))
            await reply(interaction, tr("Rejected: the strike stays. The member has been "
                                        "told."))
            return
        if appeal.kind != "blocklist":
            await tell_member(bot, appeal, tr("Your appeal was approved: the strike is "
                                              "removed."))
            await reply(interaction, tr("Approved: the strike is removed. The member has been "
                                        "told."))
            return
        try:
            link = await run_approved(interaction, appeal)
        except UserError as exc:
            await tell_member(bot, appeal, tr("Your appeal was approved and the strike "
                                              "removed, but the image could not be made: "
                                              "{reason}", reason=exc.message))
            await reply(interaction, tr("Approved: the strike is removed, but the job did not "
                                        "run: {reason}", reason=exc.message))
            return
        await tell_member(bot, appeal, tr("Your appeal was approved: your image is at {link}.",
                                          link=link))
        await reply(interaction, tr("Approved: the strike is removed and the image posted: "
                                    "{link}", link=link))


async def run_approved(interaction: discord.Interaction[FluxBot], appeal: AppealRow) -> str:
    """Runs the appealed job once, for the member, and posts it where they asked; returns
    the link to the image. Raises UserError (refunded) when it cannot be made."""
    if not appeal.prompt:  # a custom_id can outlive the buttons /privacy forget-me removed
        raise UserError(tr("the member erased this prompt at their request."))
    jobs = interaction.client.services.jobs
    request = request_from_subject(appeal.request)
    prepared = await jobs.prepare(request)

    async def no_progress(progress: Progress) -> None:
        """The member is not waiting on a private message: nothing to show."""

    async def deliver(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
        image = images[0]
        uploads = [await fit_upload(interaction, job_id, made, prepared.model)
                   for made in images]
        upload = uploads[0]
        notes = (*image.notes, upload.note) if upload.note else image.notes
        lang = await server_language(interaction)  # posted for everyone
        embed = result_embed(prepared.model, request, job_id, image, prepared.cost, balance,
                             notes, lang)
        embed.set_image(url=f"attachment://{upload.filename}")
        message = await post_result(
            interaction, channel_id=request.channel_id, user_id=request.user_id,
            upload=upload, embed=embed, view=result_view(interaction.client, job_id, lang),
            through_interaction=False, more=uploads[1:])
        posted.append(message.id)
        return message.id

    posted: list[int] = []
    await jobs.run(prepared, JobUI(no_progress, deliver))
    return jump_link(request.guild_id, request.channel_id, posted[0])


class ApproveButton(_DecisionButton, discord.ui.DynamicItem[discord.ui.Button[Any]],
                    template=r"fluxcord:appeal-approve:" + STRIKE):
    """Approves an appeal (Manage Messages)."""

    approve = True

    def __init__(self, strike_id: str) -> None:
        super().__init__(discord.ui.Button(label="Approve", style=discord.ButtonStyle.success,
                                           custom_id=f"fluxcord:appeal-approve:{strike_id}"))
        self.strike_id = strike_id


class RejectButton(_DecisionButton, discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"fluxcord:appeal-reject:" + STRIKE):
    """Rejects an appeal (Manage Messages)."""

    approve = False

    def __init__(self, strike_id: str) -> None:
        super().__init__(discord.ui.Button(label="Reject", style=discord.ButtonStyle.danger,
                                           custom_id=f"fluxcord:appeal-reject:{strike_id}"))
        self.strike_id = strike_id
