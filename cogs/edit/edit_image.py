"""`Edit image` under a result: a modal asks what to change, then /edit runs on the
result image itself (with several images, the member says which one).

The modal's custom_id names the job, so the submit is answered from it alone, also after
a restart; the image is read back from the result's message on Discord (`cogs.common.posted`),
so an image deleted meanwhile is refused before anything is charged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.catalogue import MODELS
from bot.client import report_error
from bot.credits.rows import Job
from bot.errors import UserError
from bot.i18n import SOURCE, tr
from bot.jobs.request import Attachment, ImagineRequest
from bot.replies import defer_private
from cogs.common.component import (
    JOB,
    JobChecked,
    admit_job,
    image_number,
    modal_ids,
    modal_values,
    submitted_modal,
    which_image_input,
)
from cogs.common.context import request_here
from cogs.common.language import member_language
from cogs.common.posted import PostedImage, read_posted, reading_for

if TYPE_CHECKING:
    from bot.client import FluxBot

RunJob = Callable[["discord.Interaction[FluxBot]", ImagineRequest], Awaitable[None]]
EDITOR = next(m for m in MODELS.values() if m.edits)
CHANGE_MAX = 2000
SUBMIT = modal_ids(r"fluxcord:edit-image-modal:" + JOB + r":[0-9]{1,20}")


class EditImageButton(JobChecked, discord.ui.DynamicItem[discord.ui.Button[Any]],
                      template=r"fluxcord:edit-image:" + JOB):
    """Opens the modal that asks what to change in this result."""

    def __init__(self, job_id: str, lang: str = SOURCE) -> None:
        super().__init__(discord.ui.Button(
            label=tr("Edit image").render(lang), style=discord.ButtonStyle.secondary, emoji="🖌️",
            custom_id=f"fluxcord:edit-image:{job_id}"))
        self.job_id = job_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        images = len(interaction.message.attachments) if interaction.message else 0
        if not images:
            await report_error(interaction, UserError(tr("This result has no image left.")))
            return
        await interaction.response.send_modal(
            EditImageModal(self.job_id, images, interaction.id,
                           member_language(interaction)))


class EditImageModal(discord.ui.Modal):
    """What to change and, with several images, which one."""

    def __init__(self, job_id: str, images: int, opening_id: int, lang: str = SOURCE
                 ) -> None:
        super().__init__(title=tr("Edit the image").render(lang),
                         custom_id=f"fluxcord:edit-image-modal:{job_id}:{opening_id}",
                         timeout=None)
        self.add_item(discord.ui.TextInput(
            label=tr("What to change").render(lang), style=discord.TextStyle.paragraph,
            max_length=CHANGE_MAX, custom_id="change",
            placeholder=tr("make it night, add snow…").render(lang)))
        if images > 1:
            self.add_item(which_image_input(images, lang))
        self.stop()  # answered by `answer_edit_image` from its custom_id, not kept


async def answer_edit_image(interaction: discord.Interaction[FluxBot], run_job: RunJob
                            ) -> bool:
    """Runs the edit an Edit image modal asked for with `run_job` (the result buttons'
    own, which import this module); False when `interaction` is not one."""
    match = submitted_modal(interaction, SUBMIT)
    if match is None:
        return False
    job = await admit_job(interaction, match["job"])
    if job is None:
        return True  # refused, and told so
    data: Any = interaction.data or {}
    await defer_private(interaction)
    try:
        await run_job(interaction, await _request(interaction, job,
                                                  data.get("components", [])))
    except Exception as exc:
        await report_error(interaction, exc)
    return True


async def _request(interaction: discord.Interaction[FluxBot], job: Job,
                   components: list[Any]) -> ImagineRequest:
    attachments = interaction.message.attachments if interaction.message else []
    change, which = edit_image_fields(components, len(attachments))
    image = attachments[which - 1]
    assert interaction.message is not None  # it has attachments
    # Discord's copy, through the message fetched again: fresh links, and a message
    # deleted since the modal opened is found out here, before any charge.
    with reading_for(interaction):
        _, data = await read_posted(interaction.client, PostedImage(
            interaction.guild_id or 0, interaction.message.channel.id, interaction.message.id,
            which), tr("edited"))
    return request_here(interaction, change, model=EDITOR.id,
                        attachment=Attachment(image.url, image.filename, image.content_type,
                                              image.size, data=data), source=job.id)


def edit_image_fields(components: list[Any], images: int) -> tuple[str, int]:
    """What to change and which image (1 to `images`), from the modal's submit; a
    UserError that says what to type when either does not parse."""
    values = modal_values(components)
    change = values.get("change", "").strip()
    if not change:
        raise UserError(tr("Say what to change. Press Edit image again."))
    if len(change) > CHANGE_MAX:
        raise UserError(tr("Say what to change in at most {change_max} characters. Press Edit "
                           "image again.",
                           change_max=CHANGE_MAX))
    return change, image_number(values.get("which", "1"), images, tr("Edit image"))
