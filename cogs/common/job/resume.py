"""After a restart: finishing a job whose provider job was stored, and telling the member
of a job the restart refunded (SPEC section 8).

Both answer through the member's interaction while its token lives (it was kept with
the job) and as a channel message that mentions the member after that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import discord

from bot import images as images_module
from bot import provenance
from bot.catalogue import MODELS
from bot.continuity.store import ResumeRow
from bot.credits.rows import Job
from bot.i18n import Text, render, tr, trn
from bot.jobs.request import ImagineRequest, attachment_from_stored, references_from_stored
from bot.jobs.resume import StoredImage
from bot.provenance.signing import Generation, sign_or_keep
from bot.providers.base import GeneratedImage
from bot.providers.registry import label as provider_label
from bot.texts import credits as credit_text
from bot.texts import credits_back
from cogs.common.admin_log import report_budget
from cogs.common.job.count import name_seeds
from cogs.common.job.delivery import TOKEN_MARGIN, UPLOAD_HEADROOM, discord_file, fit_within
from cogs.common.job.embed import result_embed
from cogs.common.job.try_again import try_again_view
from cogs.common.language import guild_language
from cogs.common.links import jump_link

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)


def refunded_text(cost: int) -> Text:
    """What a member reads when a restart refunded their job."""
    return trn("The bot restarted while making your image; your {n} credit is back.",
               "The bot restarted while making your image; your {n} credits are back.", cost)


def left_text(cost: int) -> Text:
    """What a member reads when a stop left their job at its provider for the next start."""
    return tr("fluxcord is restarting while your image is being made. It will be posted here "
              "after the restart; if it cannot be, your {credits} come back then.",
              credits=credit_text(cost))


def expired_text(cost: int, provider: str) -> Text:
    """What a member reads when the bot was down longer than the provider keeps a job."""
    return tr("fluxcord was stopped for longer than {provider} keeps images, so your image "
              "could not be posted; your {back}.", provider=provider_label(provider),
              back=credits_back(cost))


def not_posted_text(cost: int) -> Text:
    """What a member reads when their image never reached the channel."""
    return tr("Your image did not reach the channel; your {back}.", back=credits_back(cost))


async def tell_refunded(bot: FluxBot, job: Job, reason: str | Text | None = None) -> None:
    """Tells the member their job was refunded, with a Try again button (in the server's
    language: the member's own is not known after a restart)."""
    lang = await guild_language(bot, job.guild_id)
    text = render(refunded_text(job.cost) if reason is None else reason, lang)
    row = await bot.services.continuity.resume_row(job.id)
    view = try_again_view(job.id, lang)
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


class _Resumed:
    """A resumed job's way to its member: through the interaction while its token lives,
    else in the channel with a mention."""

    def __init__(self, bot: FluxBot, job: Job, view: discord.ui.View) -> None:
        self._bot, self._job, self._view = bot, job, view
        self._message: discord.Message | None = None

    async def deliver(self, images: Sequence[GeneratedImage], notes: Sequence[str]) -> int:
        """Posts the images in one message with the result's buttons."""
        self._message = await _post(self._bot, self._job, images, notes, self._view)
        return self._message.id

    async def done(self, message_id: int, seed: int) -> None:
        """Links the private answer to the image; reports the day's budget as after a
        live job."""
        assert self._message is not None
        await _done(self._bot, self._job, self._message.id, seed)
        await report_budget(self._bot, self._job.guild_id)

    async def refunded(self, text: str) -> None:
        """Tells the member, with Try again."""
        await tell_refunded(self._bot, self._job, text)


async def resume(bot: FluxBot, job: Job, stored: Sequence[StoredImage],
                 result_view: Callable[[str, str], discord.ui.View]) -> None:
    """Resumes the job (`bot.jobs.resume`), posting its images with `result_view`'s
    buttons, labelled in the server's language."""
    lang = await guild_language(bot, job.guild_id)
    await bot.services.jobs.resume(job, stored, _Resumed(bot, job, result_view(job.id, lang)))


async def tell_settled(bot: FluxBot, job: Job, message_id: int) -> None:
    """Tells the member, while their interaction lives, that the image whose upload
    Discord never confirmed was found in the channel (and charged)."""
    await _done(bot, job, message_id, None)


async def _done(bot: FluxBot, job: Job, message_id: int, seed: int | None) -> None:
    """The member's private last word links to the image, as after an uninterrupted job."""
    row = await bot.services.continuity.resume_row(job.id)
    if not _token_alive(row):
        return
    assert row is not None
    balance = (await bot.services.credits.balance(job.guild_id, job.user_id)).total
    link = jump_link(job.guild_id, job.channel_id, message_id)
    try:
        done = (tr("Done: {link} (seed {seed}). You have {credits} left.",
                   link=link, seed=seed, credits=credit_text(balance)) if seed is not None
                else tr("Done: {link}. You have {credits} left.", link=link,
                        credits=credit_text(balance)))
        await _webhook(bot, row).edit_message(
            cast(int, "@original"),
            content=done.render(await guild_language(bot, job.guild_id)))
    except discord.HTTPException:
        log.info("job %s: the interaction could not be edited after posting", job.id)


async def _post(bot: FluxBot, job: Job, images: Sequence[GeneratedImage],
                notes: Sequence[str], view: discord.ui.View) -> discord.Message:
    """Posts the resumed result through the interaction while it lives, else in the
    channel with a mention."""
    services = bot.services
    guild = bot.get_guild(job.guild_id)
    limit = (guild.filesize_limit if guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES)
    # Discord's limit is per message: the images of a job of several share it.
    share = (limit - UPLOAD_HEADROOM) // len(images)
    model = MODELS[job.model]
    files: list[discord.File] = []
    fitted: list[str] = []
    for image in images:
        original = await sign_or_keep(services.signer, image.data, image.format, Generation(
            model.id, model.label, provider_label(image.provider), image.seed))
        data, fmt, note = await fit_within(original, share, image.format)
        if note := provenance.fitted_note(original, note):
            fitted.append(note)
        filename = f"fluxcord-{job.id[-8:]}-{image.seed}.{images_module.file_extension(fmt)}"
        files.append(discord_file(data, filename))
    first = images[0]
    balance = (await services.credits.balance(job.guild_id, job.user_id)).total
    # The charge as it stands: the images lost in the restart were refunded.
    now = await services.records.get_job(job.id)
    cost = now.cost if now is not None else job.cost
    # For everyone, and the member's own language is not known after a restart.
    lang = await guild_language(bot, job.guild_id)
    embed = result_embed(MODELS[job.model], _as_request(job), job.id, first, cost,
                         balance, (*notes, *first.notes, *fitted), lang)
    name_seeds(embed, images, lang)
    embed.set_image(url=f"attachment://{files[0].filename}")
    row = await services.continuity.resume_row(job.id)
    if _token_alive(row):
        assert row is not None
        webhook = _webhook(bot, row)
        try:
            # The private "thinking" message gets its last word first, so the public
            # followup is a message of its own rather than filling that one in.
            await webhook.edit_message(
                cast(int, "@original"),
                content=tr("Done: your image is in the channel (seed {seed}).",
                           seed=first.seed).render(lang), view=None)
            return await webhook.send(embed=embed, files=files, view=view, wait=True)
        except discord.HTTPException as exc:
            log.info("job %s: posting through the interaction failed (%s); posting in "
                     "the channel", job.id, exc.status)
            for file in files:
                file.reset()
    return await bot.get_partial_messageable(job.channel_id).send(
        content=f"<@{job.user_id}>", embed=embed, files=files, view=view,
        allowed_mentions=discord.AllowedMentions(users=True))


def _as_request(job: Job) -> ImagineRequest:
    options = {k: v for k, v in job.options.items() if k not in ("image", "references")}
    return ImagineRequest(guild_id=job.guild_id, channel_id=job.channel_id,
                          user_id=job.user_id, prompt=job.prompt, model=job.model,
                          options=options, attachment=attachment_from_stored(job.options),
                          seed=job.seed, references=references_from_stored(job.options))


def _token_alive(row: ResumeRow | None) -> bool:
    if row is None or not row.interaction_token or row.token_expires_at is None:
        return False
    return time.time() + TOKEN_MARGIN.total_seconds() < row.token_expires_at


def _webhook(bot: FluxBot, row: ResumeRow) -> discord.Webhook:
    """The interaction's webhook, as discord.py builds `Interaction.followup`."""
    payload: Any = {"id": row.application_id, "type": 3, "token": row.interaction_token}
    return discord.Webhook.from_state(data=payload, state=bot._connection)
