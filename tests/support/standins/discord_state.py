"""The Discord stand-in's world: registries, and how messages are created, edited, deleted.

Private module of :mod:`tests.support.standins.discord_api`.
"""

from __future__ import annotations

import datetime
import logging
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.support.standins.discord_guilds import Channel, Guild
from tests.support.standins.discord_models import (
    DEFAULT_FILESIZE_LIMIT,
    FLAG_COMPONENTS_V2,
    FLAG_EPHEMERAL,
    FLAG_SUPPRESS_EMBEDS,
    FLAG_SUPPRESS_NOTIFICATIONS,
    JSON,
    ApiError,
    Attachment,
    Message,
    Notifier,
    SnowflakeFactory,
    User,
)
from tests.support.standins.discord_validation import validate_message

if TYPE_CHECKING:
    from tests.support.standins.discord_interactions import StandInInteraction

log = logging.getLogger("tests.support.standins.discord")

# Flags a sender may set on a new message / change on an edit.
CREATE_FLAGS = (
    FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
)
EDIT_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_COMPONENTS_V2

DispatchFn = Callable[..., int]


@dataclass(frozen=True)
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    index: int
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    status: int
    at: float


class StandInState:
    """Everything the stand-in knows; shared by the gateway, the REST API and the facade."""

    def __init__(self, *, token: str, token_ttl: float, ack_deadline: float, bot_name: str) -> None:
        self.token = token
        self.token_ttl = token_ttl
        self.ack_deadline = ack_deadline
        self.snowflakes = SnowflakeFactory()
        self.notifier = Notifier()
        self.base_url = ""
        self.dispatch: DispatchFn = lambda *args, **kwargs: 0  # replaced by the gateway
        self.connected_clients: Callable[[], int] = lambda: 0  # replaced by the gateway
        self.application_id = self.new_id()
        self.bot = User(self.application_id, bot_name, bot=True)
        self.owner = User(self.new_id(), "owner", global_name="Owner")
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.attachments: dict[int, Attachment] = {}
        self.interactions: dict[int, StandInInteraction] = {}
        self.interaction_tokens: dict[str, StandInInteraction] = {}
        self.commands: dict[int | None, list[JSON]] = {}
        self.command_puts: dict[int | None, int] = {}
        self.modals: dict[str, tuple[JSON, Message | None]] = {}
        self.requests: list[RequestRecord] = []
        self.unknown_requests: list[RequestRecord] = []
        self.rate_limited: list[RequestRecord] = []
        self.internal_errors: list[str] = []

    def new_id(self) -> int:
        return self.snowflakes.next()

    def changed(self) -> None:
        self.notifier.notify()

    # -- lookups -----------------------------------------------------------------------------------

    def user(self, user_id: int) -> User | None:
        if user_id == self.bot.id:
            return self.bot
        if user_id == self.owner.id:
            return self.owner
        return self.users.get(user_id)

    def channel_or_404(self, channel_id: str) -> Channel:
        channel = self.channels.get(int(channel_id)) if channel_id.isdigit() else None
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def message_or_404(self, channel: Channel, message_id: str) -> Message:
        message = self.messages.get(int(message_id)) if message_id.isdigit() else None
        if (
            message is None
            or message.deleted
            or message.channel is not channel
            or message.ephemeral
        ):
            raise ApiError(404, 10008, "Unknown Message")
        return message

    def filesize_limit(self, channel: Channel) -> int:
        return channel.guild.filesize_limit if channel.guild else DEFAULT_FILESIZE_LIMIT

    def dm_channel(self, user: User) -> Channel:
        for channel in self.channels.values():
            if channel.guild is None and channel.recipient is user:
                return channel
        channel = Channel(self.new_id(), "", None, type=1, recipient=user)
        self.channels[channel.id] = channel
        return channel

    # -- attachments -------------------------------------------------------------------------------

    def create_attachment(
        self,
        data: bytes,
        filename: str,
        content_type: str | None = None,
        *,
        description: str | None = None,
        ephemeral: bool = False,
    ) -> Attachment:
        if content_type in (None, "application/octet-stream"):
            content_type = mimetypes.guess_type(filename)[0] or content_type
        attachment_id = self.new_id()
        url = f"{self.base_url}/attachments/{attachment_id}/{quote(filename)}"
        attachment = Attachment(
            attachment_id, filename, content_type, data, url, description, ephemeral
        )
        self.attachments[attachment_id] = attachment
        return attachment

    # -- messages ----------------------------------------------------------------------------------

    def create_message(
        self,
        channel: Channel,
        author: User,
        payload: JSON,
        files: list[UploadedFile],
        *,
        size_limit: int,
        flags: int | None = None,
        interaction: StandInInteraction | None = None,
        validate: bool = True,
        message_id: int | None = None,
    ) -> Message:
        """Validate and store a new message; public ones join the channel (MESSAGE_CREATE).

        A message in an archived thread unarchives it, as on Discord, unless it is locked."""
        if validate:
            validate_message(payload, files, size_limit=size_limit, creating=True)
        if channel.archived:
            if channel.locked:
                raise ApiError(400, 50083, "Thread is archived")
            channel.archived = False
            self.dispatch("THREAD_UPDATE", channel.payload(), intent=1 << 0)
        message = Message(message_id or self.new_id(), channel, author)
        message.flags = (payload.get("flags") or 0) & CREATE_FLAGS if flags is None else flags
        if interaction is None:
            message.flags &= ~FLAG_EPHEMERAL  # only interaction responses can be ephemeral
            reference = payload.get("message_reference")
            if reference:
                message.message_reference = {"channel_id": str(channel.id), **reference, "type": 0}
                message.type = 19
        else:
            message.webhook_id = message.application_id = self.application_id
            message.interaction_metadata = interaction.metadata()
            message.type = 20 if interaction.type == 2 else 0
        self._apply(message, payload, files, editing=False)
        self.messages[message.id] = message
        if not message.ephemeral:
            channel.history.append(message)
            self.dispatch("MESSAGE_CREATE", self.gateway_message(message), message=message)
        self.changed()
        return message

    def edit_message(
        self,
        message: Message,
        payload: JSON,
        files: list[UploadedFile],
        *,
        size_limit: int,
        unset_flags: int = 0,
    ) -> None:
        validate_message(payload, files, size_limit=size_limit, creating=False)
        message.history.append(message.payload())
        message.edited_at = datetime.datetime.now(datetime.UTC)
        message.flags &= ~unset_flags
        if payload.get("flags") is not None:
            message.flags = (message.flags & ~EDIT_FLAGS) | (payload["flags"] & EDIT_FLAGS)
        self._apply(message, payload, files, editing=True)
        if not message.ephemeral:
            self.dispatch("MESSAGE_UPDATE", self.gateway_message(message), message=message)
        self.changed()

    def delete_message(self, message: Message) -> None:
        message.deleted = True
        if not message.ephemeral:
            data: JSON = {"id": str(message.id), "channel_id": str(message.channel.id)}
            if message.channel.guild:
                data["guild_id"] = str(message.channel.guild.id)
            self.dispatch("MESSAGE_DELETE", data, message=message)
        self.changed()

    def _apply(
        self, message: Message, payload: JSON, files: list[UploadedFile], *, editing: bool
    ) -> None:
        if "content" in payload:
            message.content = payload["content"] or ""
        if "embeds" in payload:
            message.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            message.components = list(payload["components"] or [])
        by_index = {f.index: f for f in files}
        if payload.get("attachments") is None:
            kept = list(message.attachments) if editing else []
            new = [self._attachment_from(f, None) for f in files]
        else:
            kept, new, used = [], [], set()
            for entry in payload["attachments"]:
                ref = int(entry["id"])
                if ref in by_index:
                    used.add(ref)
                    new.append(self._attachment_from(by_index[ref], entry))
                else:
                    kept.extend(a for a in message.attachments if a.id == ref)
            new.extend(self._attachment_from(f, None) for f in files if f.index not in used)
        message.attachments = kept + new
        message.embeds = [_resolve_attachments(e, message.attachments) for e in message.embeds]

    def _attachment_from(self, upload: UploadedFile, entry: JSON | None) -> Attachment:
        entry = entry or {}
        return self.create_attachment(
            upload.data,
            entry.get("filename") or upload.filename,
            upload.content_type,
            description=entry.get("description"),
        )

    def gateway_message(self, message: Message) -> JSON:
        data = message.payload()
        guild = message.channel.guild
        if guild is not None:
            data["guild_id"] = str(guild.id)
            data["member"] = guild.member_payload(message.author, with_user=False)
        return data


def _resolve_attachments(embed: JSON, attachments: list[Attachment]) -> JSON:
    """Discord answers an embed's ``attachment://name`` image with the attachment itself
    (which then shows inside the embed); a name matching no attachment stays as it is."""
    resolved = dict(embed)
    for key in ("image", "thumbnail"):
        url = (embed.get(key) or {}).get("url") or ""
        if not url.startswith("attachment://"):
            continue
        found = next((a for a in attachments if a.filename == url[len("attachment://"):]), None)
        if found is not None:
            resolved[key] = {"url": found.url, "proxy_url": found.url, "width": found.width,
                             "height": found.height, "flags": 0}
    return resolved
