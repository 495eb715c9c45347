"""Posting a finished image, for /imagine and the buttons alike.

The image is re-encoded under the channel's upload limit first, then posted through the
interaction while its 15-minute token lives, else as a channel message that mentions the
member. Discord refusing it is a `DeliveryError`, which refunds the job.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp.payload
import discord

from bot import images, provenance
from bot.catalogue import Model
from bot.jobs.request import DeliveryError, UnreadableResult
from bot.provenance.signing import Generation, sign_or_keep
from bot.providers.base import GeneratedImage
from bot.providers.registry import label as provider_label

log = logging.getLogger(__name__)

# Room in the upload for the request's own overhead (embed, multipart framing).
UPLOAD_HEADROOM = 16 * 1024
# Post through the interaction only while its 15-minute token has this much left.
TOKEN_MARGIN = timedelta(seconds=60)
INVALID_WEBHOOK_TOKEN = 50027
UNKNOWN_WEBHOOK = 10015


class SharedBytes(io.BytesIO):
    """A file over bytes the bot already holds, which the upload sends as they are.

    aiohttp's payload for a plain BytesIO asks for its buffer, which makes the BytesIO
    copy the bytes it shared, then reads them in copied 64 KB pieces: two copies of each
    megabyte image per upload. This one's payload writes `data` itself."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)  # shares `data` (nothing here ever writes to it)
        self.data = data


@aiohttp.payload.payload_type(SharedBytes, order=aiohttp.payload.Order.try_first)
class _SharedBytesPayload(aiohttp.payload.BytesPayload):
    def __init__(self, value: SharedBytes, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("content_type", "application/octet-stream")
        # Not BytesPayload's __init__: it warns about bodies over 1 MB, meant for
        # callers that could stream from a file instead; these bytes are in memory.
        aiohttp.payload.Payload.__init__(self, value.data, *args, **kwargs)
        self._size = len(value.data)


class _UploadFile(discord.File):
    """A discord.File whose buffer goes as soon as the file is dropped.

    discord.File's `close()` (run after each send) puts the buffer's own `close` back on
    it, `fp.close = fp.close`: a reference cycle, which plain reference counting never
    frees. The image in the buffer then waited for the collector's rare full pass, long
    after its upload and its MAX_IMAGES_IN_FLIGHT slot were done: in a burst, dozens of
    megabyte images at once."""

    __slots__ = ()

    def close(self) -> None:
        super().close()
        vars(self.fp).pop("close", None)  # the class's own close is the same method


class _ResultWebhook(discord.Webhook):
    """The interaction's followup webhook, made as `Interaction.followup` makes it, whose
    answer to the result's post is read for the message's id and channel only.

    discord.py builds a whole Message of that answer (its author, embed, attachments and
    every button of the result's rows), which nothing here reads: a few percent of a job's
    CPU in a burst. discord.py is pinned in pyproject.toml; every e2e test of a result
    posts through this."""

    client: discord.Client

    @classmethod
    def of(cls, interaction: discord.Interaction[Any]) -> _ResultWebhook:
        """The followup webhook of `interaction`."""
        hook = cls.from_state(data={"id": interaction.application_id, "type": 3,
                                    "token": interaction.token},
                              state=interaction._state)
        hook.client = interaction.client
        return hook

    def _create_message(self, data: Any, *, thread: Any) -> Any:
        channel = self.client.get_partial_messageable(
            int(data["channel_id"]), guild_id=_snowflake(data.get("guild_id")))
        return channel.get_partial_message(int(data["id"]))


def _snowflake(value: Any) -> int | None:
    return int(value) if value is not None else None


def discord_file(data: bytes, filename: str) -> discord.File:
    """A file for discord.py to upload, whose bytes are sent without a copy and freed
    with the file."""
    return _UploadFile(SharedBytes(data), filename=filename)


@dataclass(frozen=True, slots=True)
class Upload:
    """The file as it will be posted, and what fitting it changed (for the embed)."""

    data: bytes
    filename: str
    note: str | None

    def file(self) -> discord.File:
        # A fresh File per attempt: discord.py consumes the buffer when it sends.
        return discord_file(self.data, self.filename)


async def fit_within(data: bytes, limit: int, fmt: str) -> tuple[bytes, str, str | None]:
    """`images.fit_under_async`, its refusals as the job's: UnreadableResult for a picture
    that cannot be decoded, DeliveryError for one that cannot be made to fit."""
    try:
        return await images.fit_under_async(data, limit, fmt)
    except images.UndecodableImage as exc:
        raise UnreadableResult(str(exc)) from exc
    except images.ImageError as exc:
        raise DeliveryError(str(exc)) from exc


async def fit_upload(
    interaction: discord.Interaction[Any], job_id: str, image: GeneratedImage,
    model: Model | None = None,
) -> Upload:
    """The image as a file under this channel's upload limit (the interaction carries the
    real limit, boosts included): the provider's file byte for byte (its content
    credentials intact), re-encoded smaller only when it is over. With C2PA signing on
    (and `model` given), the bot's own manifest is added first."""
    limit = interaction.filesize_limit - UPLOAD_HEADROOM
    original = image.data
    if model is not None:
        original = await sign_or_keep(
            interaction.client.services.signer, image.data, image.format,
            Generation(model.id, model.label, provider_label(image.provider), image.seed))
    data, fmt, note = await fit_within(original, limit, image.format)
    filename = f"fluxcord-{job_id[-8:]}-{image.seed}.{images.file_extension(fmt)}"
    return Upload(data, filename, provenance.fitted_note(original, note))


async def post_result(
    interaction: discord.Interaction[Any],
    *,
    channel_id: int,
    user_id: int,
    upload: Upload,
    embed: discord.Embed,
    view: discord.ui.View,
    through_interaction: bool,
    more: Sequence[Upload] = (),
) -> discord.Message | discord.PartialMessage:
    """Posts the result publicly (with the `more` images of a job of several); returns
    the message (its id and channel). Raises DeliveryError when Discord clearly refuses
    it (4xx); a 5xx is raised as it is, since Discord may have the image."""
    try:
        return await _send(
            interaction, channel_id, user_id, [upload, *more], embed, view,
            through_interaction=through_interaction,
        )
    except discord.HTTPException as exc:
        if exc.status >= 500:
            raise  # Discord may have the image: not a refusal
        raise DeliveryError(f"HTTP {exc.status}, code {exc.code}") from exc


async def _send(
    interaction: discord.Interaction[Any],
    channel_id: int,
    user_id: int,
    uploads: Sequence[Upload],
    embed: discord.Embed,
    view: discord.ui.View,
    *,
    through_interaction: bool,
) -> discord.Message | discord.PartialMessage:
    token_alive = discord.utils.utcnow() + TOKEN_MARGIN < interaction.expires_at
    if through_interaction and token_alive:
        try:
            posted: discord.PartialMessage = await _ResultWebhook.of(interaction).send(
                embed=embed, files=[u.file() for u in uploads], view=view, wait=True,
                ephemeral=False,
            )
            return posted
        except discord.HTTPException as exc:
            if exc.code not in (INVALID_WEBHOOK_TOKEN, UNKNOWN_WEBHOOK) and exc.status != 401:
                raise
            log.info("interaction token expired while posting; posting in the channel")
    channel = interaction.client.get_partial_messageable(channel_id)
    return await channel.send(
        content=f"<@{user_id}>",
        embed=embed,
        files=[u.file() for u in uploads],
        view=view,
        allowed_mentions=discord.AllowedMentions(users=True),
    )
