"""`Edit image` under a result: a modal asks what to change, then /edit runs on the
result image itself (with several images, the member says which one).

The modal's custom_id names the job, so the submit is answered from it alone, also after
a restart; the image is read back from the result's message on Discord (`cogs._posted`),
so an image deleted meanwhile is refused before anything is charged.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.catalogue import MODELS
from bot.client import report_error
from bot.errors import UserError
from bot.jobs import Attachment, ImagineRequest
from bot.replies import defer_private
from cogs._common import place_of, role_ids_of
from cogs._posted import PostedImage, read_posted

if TYPE_CHECKING:
    from bot.client import FluxBot

JOB = r"(?P<job>[0-9a-f]{32})"
RunJob = Callable[["discord.Interaction[FluxBot]", ImagineRequest], Awaitable[None]]
EDITOR = next(m for m in MODELS.values() if m.edits)
SUBMIT = re.compile(r"fluxcord:edit-image-modal:" + JOB + r":[0-9]+")


class EditImageButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                      template=r"fluxcord:edit-image:" + JOB):
    """Opens the modal that asks what to change in this result."""

    def __init__(self, job_id: str) -> None:
        super().__init__(discord.ui.Button(
            label="Edit image", style=discord.ButtonStyle.secondary, emoji="🖌️",
            custom_id=f"fluxcord:edit-image:{job_id}"))
        self.job_id = job_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]
                             ) -> EditImageButton:
        return cls(match["job"])

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        bot: FluxBot = interaction.client
        return await bot.allowed_here(interaction)

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        images = len(interaction.message.attachments) if interaction.message else 0
        if not images:
            await report_error(interaction, UserError("This result has no image left."))
            return
        await interaction.response.send_modal(
            EditImageModal(self.job_id, images, interaction.id))


class EditImageModal(discord.ui.Modal, title="Edit the image"):
    """What to change and, with several images, which one."""

    def __init__(self, job_id: str, images: int, opening_id: int) -> None:
        super().__init__(custom_id=f"fluxcord:edit-image-modal:{job_id}:{opening_id}",
                         timeout=None)
        self.add_item(discord.ui.TextInput(
            label="What to change", style=discord.TextStyle.paragraph, max_length=2000,
            custom_id="change", placeholder="make it night, add snow…"))
        if images > 1:
            self.add_item(discord.ui.TextInput(
                label=f"Which image (1-{images})", max_length=1, custom_id="which",
                default="1"))
        self.stop()  # answered by `answer_edit_image` from its custom_id, not kept


async def answer_edit_image(interaction: discord.Interaction[FluxBot], run_job: RunJob
                            ) -> bool:
    """Runs the edit an Edit image modal asked for with `run_job` (the result buttons'
    own, which import this module); False when `interaction` is not one."""
    data: Any = interaction.data or {}
    if interaction.type is not discord.InteractionType.modal_submit:
        return False
    if SUBMIT.fullmatch(str(data.get("custom_id", ""))) is None:
        return False
    if not await interaction.client.allowed_here(interaction):
        return True
    await defer_private(interaction)
    try:
        await run_job(interaction, await _request(interaction, data.get("components", [])))
    except Exception as exc:
        await report_error(interaction, exc)
    return True


async def _request(interaction: discord.Interaction[FluxBot], components: list[Any]
             ) -> ImagineRequest:
    values = _values(components)
    change = values.get("change", "").strip()
    if not change:
        raise UserError("Say what to change. Press Edit image again.")
    attachments = interaction.message.attachments if interaction.message else []
    which = values.get("which", "1").strip() or "1"
    if not which.isdigit() or not 1 <= int(which) <= len(attachments):
        raise UserError(f"Pick an image from 1 to {len(attachments)}. Press Edit image again.")
    image = attachments[int(which) - 1]
    assert interaction.message is not None  # it has attachments
    # Discord's copy, through the message fetched again: fresh links, and a message
    # deleted since the modal opened is found out here, before any charge.
    _, data = await read_posted(interaction.client, PostedImage(
        interaction.guild_id or 0, interaction.message.channel.id, interaction.message.id,
        int(which)), "edited")
    place = place_of(interaction)
    return ImagineRequest(
        guild_id=interaction.guild_id or 0,
        channel_id=place.channel_id,
        user_id=interaction.user.id,
        prompt=change,
        model=EDITOR.id,
        attachment=Attachment(image.url, image.filename, image.content_type, image.size,
                              data=data),
        role_ids=role_ids_of(interaction),
    )


def _values(components: list[Any]) -> dict[str, str]:
    """The text inputs of a modal submit by custom_id, in action rows or labels alike."""
    found: dict[str, str] = {}
    for component in components:
        for child in [*component.get("components", []), component.get("component") or {}]:
            if child.get("custom_id"):
                found[str(child["custom_id"])] = str(child.get("value") or "")
    return found
