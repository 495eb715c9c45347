"""The result message: its embed and the Reroll / Edit / Delete buttons.

The buttons are DynamicItems whose custom_id carries the job id, and the job lives in the
database, so they keep working after the bot restarts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.catalogue import PROVIDER_LABELS, Model
from bot.client import report_error
from bot.errors import UserError
from bot.jobs import ImagineRequest, attachment_from_stored
from bot.providers.base import GeneratedImage
from bot.replies import defer_private

if TYPE_CHECKING:
    from bot.client import FluxBot
    from cogs.imagine import Imagine

JOB = r"(?P<job>[0-9a-f]{32})"
EMBED_COLOUR = discord.Colour(0x5865F2)


def result_embed(
    model: Model,
    request: ImagineRequest,
    job_id: str,
    image: GeneratedImage,
    cost: int,
    balance: int,
    notes: tuple[str, ...],
) -> discord.Embed:
    embed = discord.Embed(description=request.prompt[:4000], colour=EMBED_COLOUR)
    embed.add_field(name="Model", value=model.label)
    embed.add_field(name="Provider", value=PROVIDER_LABELS.get(image.provider, image.provider))
    embed.add_field(name="Seed", value=str(image.seed))
    embed.add_field(name="Size", value=f"{image.width}×{image.height}")
    embed.add_field(name="Cost", value=f"{cost} credits")
    embed.add_field(name="Balance", value=f"{balance} credits left")
    shown = {k: v for k, v in request.options.items() if k != "image"}
    if request.attachment is not None:
        shown["image"] = request.attachment.filename
    if shown:
        text = ", ".join(f"{k}={v}" for k, v in shown.items())
        embed.add_field(name="Parameters", value=text[:1024], inline=False)
    if notes:
        embed.add_field(name="Adjusted", value="\n".join(notes)[:1024], inline=False)
    embed.set_footer(text=f"job {job_id[-8:]}")
    return embed


def result_view(job_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RerollButton(job_id))
    view.add_item(EditButton(job_id))
    view.add_item(DeleteButton(job_id))
    return view


def _imagine(interaction: discord.Interaction[FluxBot]) -> Imagine:
    cog = interaction.client.get_cog("Imagine")
    assert cog is not None
    return cog  # type: ignore[return-value]


async def _stored_request(
    interaction: discord.Interaction[FluxBot], job_id: str, *, prompt: str | None = None,
    keep_seed: bool = False,
) -> ImagineRequest:
    job = await interaction.client.services.records.get_job(job_id)
    if job is None:
        raise UserError("That image is no longer known to the bot.")
    options = dict(job.options)
    attachment = attachment_from_stored(options)
    options.pop("image", None)
    return ImagineRequest(
        guild_id=interaction.guild_id or 0,
        channel_id=interaction.channel_id or job.channel_id,
        user_id=interaction.user.id,
        prompt=prompt if prompt is not None else job.prompt,
        age_restricted=bool(getattr(interaction.channel, "is_nsfw", lambda: False)()),
        model=job.model,
        options=options,
        attachment=attachment,
        seed=job.seed if keep_seed else None,
    )


class _JobItem:
    """What the three buttons share: a custom_id `fluxcord:<action>:<job id>`, rebuilt
    from that id after a restart."""

    job_id: str

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> Any:
        return cls(match["job"])  # type: ignore[call-arg]


def _button(action: str, job_id: str, label: str, style: discord.ButtonStyle,
            emoji: str) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=label, style=style, custom_id=f"fluxcord:{action}:{job_id}", emoji=emoji
    )


class RerollButton(
    _JobItem, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fluxcord:reroll:" + JOB
):
    """Same prompt and options, a new seed; charged again to whoever clicks."""

    def __init__(self, job_id: str) -> None:
        super().__init__(_button("reroll", job_id, "Reroll", discord.ButtonStyle.primary, "🎲"))
        self.job_id = job_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        await defer_private(interaction)
        try:
            request = await _stored_request(interaction, self.job_id)
            await _imagine(interaction).start_job(interaction, request)
        except Exception as exc:
            await report_error(interaction, exc)


class EditButton(
    _JobItem, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fluxcord:edit:" + JOB
):
    """Opens a modal to change the prompt; the rest (seed included) stays."""

    def __init__(self, job_id: str) -> None:
        super().__init__(_button("edit", job_id, "Edit", discord.ButtonStyle.secondary, "✏️"))
        self.job_id = job_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        job = await interaction.client.services.records.get_job(self.job_id)
        if job is None:
            await interaction.response.send_message(
                "That image is no longer known to the bot.", ephemeral=True
            )
            return
        await interaction.response.send_modal(EditPrompt(self.job_id, job.prompt))


class EditPrompt(discord.ui.Modal, title="Edit the prompt"):
    def __init__(self, job_id: str, prompt: str) -> None:
        super().__init__(custom_id=f"fluxcord:edit-modal:{job_id}", timeout=None)
        self.job_id = job_id
        self.prompt: discord.ui.TextInput[EditPrompt] = discord.ui.TextInput(
            label="Prompt", style=discord.TextStyle.paragraph, default=prompt[:2000],
            max_length=2000, custom_id="prompt",
        )
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        await defer_private(interaction)
        try:
            request = await _stored_request(
                interaction, self.job_id, prompt=self.prompt.value, keep_seed=True
            )
            await _imagine(interaction).start_job(interaction, request)
        except Exception as exc:
            await report_error(interaction, exc)


class DeleteButton(
    _JobItem, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fluxcord:delete:" + JOB
):
    """Removes the image: its requester, or a member with Manage Messages."""

    def __init__(self, job_id: str) -> None:
        super().__init__(_button("delete", job_id, "Delete", discord.ButtonStyle.danger, "🗑️"))
        self.job_id = job_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        job = await interaction.client.services.records.get_job(self.job_id)
        requester = job.user_id if job is not None else None
        if interaction.user.id != requester and not interaction.permissions.manage_messages:
            await interaction.response.send_message(
                "Only the member who asked for this image, or someone with Manage Messages, "
                "can delete it.",
                ephemeral=True,
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if interaction.message is not None:
            await interaction.message.delete()
        await interaction.edit_original_response(content="Deleted.")
