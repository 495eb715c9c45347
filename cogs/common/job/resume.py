"""After a restart: finishing a job whose provider job was stored, and telling the member
of a job the restart refunded (SPEC section 8).

Both answer through the member's interaction while its token lives (it was kept with
the job) and as a channel message that mentions the member after that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import discord

from bot import images, provenance
from bot.catalogue import MODELS
from bot.catalogue.plan import make_plan
from bot.jobs.request import ImagineRequest, attachment_from_stored
from bot.provenance.signing import Generation, sign_or_keep
from bot.providers.base import GeneratedImage, GenerationRequest, Submission
from bot.providers.errors import ProviderError
from bot.providers.registry import label as provider_label
from bot.storage import Job
from bot.storage.continuity_base import ResumeRow
from bot.texts import credits as credit_text
from bot.texts import credits_back
from cogs.common.job.delivery import TOKEN_MARGIN, UPLOAD_HEADROOM, discord_file
from cogs.common.job.embed import result_embed
from cogs.common.job.try_again import try_again_view
from cogs.common.links import jump_link

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)

# Any cap: the job was checked against the cap when it was submitted, and a resumed job
# sends nothing new to the provider.
_RESUME_CAP = 6


def refunded_text(cost: int) -> str:
    """What a member reads when a restart refunded their job."""
    return f"The bot restarted while making your image; your {credits_back(cost)}."


async def tell_refunded(bot: FluxBot, job: Job, reason: str | None = None) -> None:
    """Tells the member their job was refunded, with a Try again button."""
    text = refunded_text(job.cost) if reason is None else reason
    row = await bot.services.continuity.resume_row(job.id)
    view = try_again_view(job.id)
    if _token_alive(row):
        assert row is not None
        try:
            await _webhook(bot, row).edit_message(
                cast(int, "@original"), content=text, view=view)
            return
        except discord.HTTPException as exc:
            log.info("job %s: the interaction could not be edited (%s); telling the "
                     "member in the channel", job.id, exc.status)
    await bot.get_partial_messageable(job.channel_id).send(
        f"<@{job.user_id}> {text}", view=view,
        allowed_mentions=discord.AllowedMentions(users=True))


async def resume(bot: FluxBot, job: Job, submission: Submission,
                 result_view: Callable[[str], discord.ui.View]) -> None:
    """Polls the provider job a restart interrupted, posts its image (with `result_view`'s
    buttons) and settles the job; refunds it (and tells the member) when the provider has
    no image for it."""
    services = bot.services
    try:
        image = await services.router.resume(_request(job, submission))
    except ProviderError as exc:
        log.warning("job %s: resuming at %s failed: %s", job.id, exc.provider, exc)
        if await services.credits.refund(job.id, f"{exc.provider}: {type(exc).__name__}"):
            await tell_refunded(bot, job, f"{exc.user_message} Your {credits_back(job.cost)}.")
        return
    try:
        await services.records.mark(job.id, "posting", provider=image.provider)
        message = await _post(bot, job, image, result_view(job.id))
    finally:
        image.release()
    # The image is in the channel: charged once, now (a crash from here leaves the job
    # posting, and the next start finds the message).
    await services.credits.settle(job.id, message.id)
    await _done(bot, job, message, image.seed)


async def _done(bot: FluxBot, job: Job, message: discord.Message, seed: int) -> None:
    """The member's private last word links to the image, as after an uninterrupted job."""
    row = await bot.services.continuity.resume_row(job.id)
    if not _token_alive(row):
        return
    assert row is not None
    balance = (await bot.services.credits.balance(job.guild_id, job.user_id)).total
    link = jump_link(job.guild_id, job.channel_id, message.id)
    try:
        await _webhook(bot, row).edit_message(
            cast(int, "@original"),
            content=f"Done: {link} (seed {seed}). You have {credit_text(balance)} left.")
    except discord.HTTPException:
        log.info("job %s: the interaction could not be edited after posting", job.id)


def _request(job: Job, submission: Submission) -> GenerationRequest:
    model = MODELS[job.model]
    schemas = [s for s in model.schemas if s.provider == submission.provider]
    options = {k: v for k, v in job.options.items() if k != "image"}
    plan = make_plan(job.model, schemas, options, _RESUME_CAP, image=False)
    return GenerationRequest(job_id=job.id, prompt=job.prompt, seed=job.seed, plan=plan,
                             resume=submission)


async def _post(bot: FluxBot, job: Job, image: GeneratedImage, view: discord.ui.View
                ) -> discord.Message:
    """Posts the resumed result through the interaction while it lives, else in the
    channel with a mention."""
    services = bot.services
    guild = bot.get_guild(job.guild_id)
    limit = (guild.filesize_limit if guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES)
    model = MODELS[job.model]
    original = await sign_or_keep(services.signer, image.data, image.format, Generation(
        model.id, model.label, provider_label(image.provider), image.seed))
    data, fmt, note = await images.fit_under_async(original, limit - UPLOAD_HEADROOM,
                                                   image.format)
    note = provenance.fitted_note(original, note)
    filename = f"fluxcord-{job.id[-8:]}-{image.seed}.{images.file_extension(fmt)}"
    balance = (await services.credits.balance(job.guild_id, job.user_id)).total
    embed = result_embed(MODELS[job.model], _as_request(job), job.id, image, job.cost,
                         balance, (*image.notes, *((note,) if note else ())))
    embed.set_image(url=f"attachment://{filename}")
    row = await services.continuity.resume_row(job.id)
    if _token_alive(row):
        assert row is not None
        webhook = _webhook(bot, row)
        try:
            # The private "thinking" message gets its last word first, so the public
            # followup is a message of its own rather than filling that one in.
            await webhook.edit_message(
                cast(int, "@original"),
                content=f"Done: your image is in the channel (seed {image.seed}).", view=None)
            return await webhook.send(
                embed=embed, file=discord_file(data, filename),
                view=view, wait=True)
        except discord.HTTPException as exc:
            log.info("job %s: posting through the interaction failed (%s); posting in "
                     "the channel", job.id, exc.status)
    return await bot.get_partial_messageable(job.channel_id).send(
        content=f"<@{job.user_id}>", embed=embed,
        file=discord_file(data, filename), view=view,
        allowed_mentions=discord.AllowedMentions(users=True))


def _as_request(job: Job) -> ImagineRequest:
    options = {k: v for k, v in job.options.items() if k != "image"}
    return ImagineRequest(guild_id=job.guild_id, channel_id=job.channel_id,
                          user_id=job.user_id, prompt=job.prompt, model=job.model,
                          options=options, attachment=attachment_from_stored(job.options),
                          seed=job.seed)


def _token_alive(row: ResumeRow | None) -> bool:
    if row is None or not row.interaction_token or row.token_expires_at is None:
        return False
    return time.time() + TOKEN_MARGIN.total_seconds() < row.token_expires_at


def _webhook(bot: FluxBot, row: ResumeRow) -> discord.Webhook:
    """The interaction's webhook, as discord.py builds `Interaction.followup`."""
    payload: Any = {"id": row.application_id, "type": 3, "token": row.interaction_token}
    return discord.Webhook.from_state(data=payload, state=bot._connection)
