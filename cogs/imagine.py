"""/imagine: a prompt and options in, a public image with Reroll/Edit/Delete out."""

# No `from __future__ import annotations` here: discord.py reads the Range bounds below
# from the signature, and they are computed from the catalogue at import.

import io
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import images
from bot.catalogue import MODELS, SEED_MAX, Model, discord_range
from bot.client import FluxBot
from bot.errors import UserError
from bot.jobs import Attachment, DeliveryError, ImagineRequest
from bot.providers.base import GeneratedImage
from bot.replies import defer_private
from cogs._progress import ProgressMessage
from cogs._result import DeleteButton, EditButton, RerollButton, result_embed, result_view

log = logging.getLogger(__name__)

# Ranges Discord enforces: the widest over every model; each model's own is checked after.
_STEPS, _GUIDANCE = discord_range("steps"), discord_range("guidance")
_WIDTH, _STRENGTH = discord_range("width"), discord_range("prompt_strength")
_QUALITY, _SAFETY = discord_range("output_quality"), discord_range("safety_tolerance")
STEPS_MIN, STEPS_MAX = int(_STEPS.min or 1), int(_STEPS.max or 50)
GUIDANCE_MIN, GUIDANCE_MAX = float(_GUIDANCE.min or 0), float(_GUIDANCE.max or 50)
SIDE_MIN, SIDE_MAX = int(_WIDTH.min or 256), int(_WIDTH.max or 1440)
STRENGTH_MIN, STRENGTH_MAX = float(_STRENGTH.min or 0), float(_STRENGTH.max or 1)
QUALITY_MIN, QUALITY_MAX = int(_QUALITY.min or 0), int(_QUALITY.max or 100)
SAFETY_MIN, SAFETY_MAX = int(_SAFETY.min or 1), int(_SAFETY.max or 6)
PROMPT_MAX = 2000

MODEL_CHOICES = [app_commands.Choice(name=m.label, value=m.id) for m in MODELS.values()]
RATIO_CHOICES = [
    app_commands.Choice(name=r, value=r)
    for r in ("1:1", "16:9", "9:16", "3:2", "2:3", "4:5", "5:4", "custom")
]
FORMAT_CHOICES = [
    app_commands.Choice(name=f, value=f) for f in discord_range("output_format").choices
]
MEGAPIXEL_CHOICES = [
    app_commands.Choice(name=f"{mp} MP", value=mp) for mp in discord_range("megapixels").choices
]
# Room in the upload for the request's own overhead (embed, multipart framing).
UPLOAD_HEADROOM = 16 * 1024
# Post through the interaction only while its 15-minute token has this much left.
TOKEN_MARGIN = timedelta(seconds=60)
INVALID_WEBHOOK_TOKEN = 50027
UNKNOWN_WEBHOOK = 10015


class Imagine(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RerollButton, EditButton, DeleteButton)

    @app_commands.command()
    @app_commands.describe(
        prompt="What to draw",
        model="Which FLUX model (default: this server's)",
        aspect_ratio="Shape of the image; custom uses width and height",
        width="Width in pixels, with aspect_ratio custom",
        height="Height in pixels, with aspect_ratio custom",
        steps="Diffusion steps: more is slower and finer",
        guidance="How closely to follow the prompt",
        seed="Seed, to reproduce an image (random if unset)",
        image="An image to start from or to guide the composition",
        prompt_strength="How far to move away from the input image (0-1)",
        output_format="File format of the result",
        output_quality="Compression quality (0-100)",
        safety_tolerance="1 is strictest; capped by the server",
        prompt_upsampling="Let the model enrich the prompt",
        megapixels="Output size in megapixels (flux-dev)",
        go_fast="Faster, slightly rougher generation (flux-dev)",
    )
    @app_commands.choices(
        model=MODEL_CHOICES,
        aspect_ratio=RATIO_CHOICES,
        output_format=FORMAT_CHOICES,
        megapixels=MEGAPIXEL_CHOICES,
    )
    async def imagine(
        self,
        interaction: discord.Interaction[FluxBot],
        prompt: app_commands.Range[str, 1, PROMPT_MAX],
        model: str | None = None,
        aspect_ratio: str | None = None,
        width: app_commands.Range[int, SIDE_MIN, SIDE_MAX] | None = None,
        height: app_commands.Range[int, SIDE_MIN, SIDE_MAX] | None = None,
        steps: app_commands.Range[int, STEPS_MIN, STEPS_MAX] | None = None,
        guidance: app_commands.Range[float, GUIDANCE_MIN, GUIDANCE_MAX] | None = None,
        seed: app_commands.Range[int, 0, SEED_MAX] | None = None,
        image: discord.Attachment | None = None,
        prompt_strength: app_commands.Range[float, STRENGTH_MIN, STRENGTH_MAX] | None = None,
        output_format: str | None = None,
        output_quality: app_commands.Range[int, QUALITY_MIN, QUALITY_MAX] | None = None,
        safety_tolerance: app_commands.Range[int, SAFETY_MIN, SAFETY_MAX] | None = None,
        prompt_upsampling: bool | None = None,
        megapixels: str | None = None,
        go_fast: bool | None = None,
    ) -> None:
        """Generate an image with a FLUX model"""
        await defer_private(interaction)
        options = {
            "aspect_ratio": aspect_ratio,
            "width": width,
            "height": height,
            "steps": steps,
            "guidance": guidance,
            "prompt_strength": prompt_strength,
            "output_format": output_format,
            "output_quality": output_quality,
            "safety_tolerance": safety_tolerance,
            "prompt_upsampling": prompt_upsampling,
            "megapixels": megapixels,
            "go_fast": go_fast,
        }
        set_options = {k: v for k, v in options.items() if v is not None}
        if ("width" in set_options or "height" in set_options) and aspect_ratio is None:
            set_options["aspect_ratio"] = "custom"  # width/height imply a custom shape
        attachment = None
        if image is not None:
            attachment = Attachment(image.url, image.filename, image.content_type, image.size)
        request = ImagineRequest(
            guild_id=interaction.guild_id or 0,
            channel_id=interaction.channel_id or 0,
            user_id=interaction.user.id,
            prompt=prompt,
            age_restricted=_age_restricted(interaction),
            model=model,
            options=set_options,
            attachment=attachment,
            seed=seed,
        )
        await self.start_job(interaction, request)

    async def start_job(
        self, interaction: discord.Interaction[FluxBot], request: ImagineRequest
    ) -> None:
        """Runs a job for an already deferred interaction (also used by Reroll and Edit)."""
        jobs = self.bot.services.jobs
        prepared = await jobs.prepare(request)
        progress = ProgressMessage(interaction, prepared.model.label)

        async def deliver(job_id: str, image: GeneratedImage, balance: int) -> int:
            # Said before the upload: a failed upload then replaces it with the reason.
            answered = await progress.before_posting(
                f"Done: your image is in the channel (seed {image.seed})."
            )
            return await self._post(
                interaction, prepared.model, request, job_id, image, prepared.cost, balance,
                through_interaction=answered,
            )

        try:
            await jobs.run(prepared, progress.update, deliver)
        finally:
            progress.stop()

    async def _post(
        self,
        interaction: discord.Interaction[FluxBot],
        model: Model,
        request: ImagineRequest,
        job_id: str,
        image: GeneratedImage,
        cost: int,
        balance: int,
        *,
        through_interaction: bool,
    ) -> int:
        limit = _upload_limit(interaction) - UPLOAD_HEADROOM
        try:
            data, fmt, note = await images.fit_under_async(image.data, limit, image.format)
        except images.ImageError as exc:
            raise DeliveryError(str(exc)) from exc
        all_notes = (*image.notes, note) if note else image.notes
        filename = f"fluxcord-{job_id[-8:]}-{image.seed}.{images.file_extension(fmt)}"
        embed = result_embed(model, request, job_id, image, cost, balance, all_notes)
        embed.set_author(
            name=interaction.user.display_name, icon_url=interaction.user.display_avatar.url
        )
        view = result_view(job_id)

        def file() -> discord.File:
            return discord.File(io.BytesIO(data), filename=filename)

        try:
            return await self._send(
                interaction, request, job_id, embed, view, file,
                through_interaction=through_interaction,
            )
        except discord.HTTPException as exc:
            if exc.status >= 500:
                raise  # Discord may have the image: not a refusal
            raise DeliveryError(f"HTTP {exc.status}, code {exc.code}") from exc

    async def _send(
        self,
        interaction: discord.Interaction[FluxBot],
        request: ImagineRequest,
        job_id: str,
        embed: discord.Embed,
        view: discord.ui.View,
        file: Callable[[], discord.File],
        *,
        through_interaction: bool,
    ) -> int:
        """Posts through the interaction while its token lives, else in the channel."""
        token_alive = discord.utils.utcnow() + TOKEN_MARGIN < interaction.expires_at
        if through_interaction and token_alive:
            try:
                message = await interaction.followup.send(
                    embed=embed, file=file(), view=view, wait=True, ephemeral=False
                )
                return message.id
            except discord.HTTPException as exc:
                if exc.code not in (INVALID_WEBHOOK_TOKEN, UNKNOWN_WEBHOOK) and exc.status != 401:
                    raise
                log.info("interaction token of job %s expired; posting in the channel", job_id)
        channel = self.bot.get_partial_messageable(request.channel_id)
        posted = await channel.send(
            content=f"<@{request.user_id}>",
            embed=embed,
            file=file(),
            view=view,
            allowed_mentions=discord.AllowedMentions(users=True),
        )
        return posted.id


def _age_restricted(interaction: discord.Interaction[Any]) -> bool:
    channel = interaction.channel
    is_nsfw = getattr(channel, "is_nsfw", None)
    return bool(is_nsfw()) if callable(is_nsfw) else False


def _upload_limit(interaction: discord.Interaction[Any]) -> int:
    # The interaction carries the channel's real limit (boosts included).
    return interaction.filesize_limit


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Imagine(bot))


__all__ = ["Imagine", "UserError"]
