"""Entities the Discord stand-in keeps, and their Discord API v10 JSON shapes.

Private module of :mod:`tests.support.standins.discord_api`.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from tests.support.standins.discord_guilds import Channel

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000
MIB = 1024 * 1024
DEFAULT_FILESIZE_LIMIT = 10 * MIB
# Same table as discord.py's Guild._PREMIUM_GUILD_LIMITS / Discord's boost perks.
PREMIUM_FILESIZE_LIMITS = {0: 10 * MIB, 1: 10 * MIB, 2: 50 * MIB, 3: 100 * MIB}

# Message flags
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15


class Perm:
    """Permission bits (https://discord.com/developers/docs/topics/permissions)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    CHANGE_NICKNAME = 1 << 26
    USE_APPLICATION_COMMANDS = 1 << 31
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50

    ALL = (1 << 51) - 1
    EVERYONE = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | CONNECT
        | SPEAK
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | SEND_MESSAGES_IN_THREADS
        | SEND_POLLS
        | USE_EXTERNAL_APPS
    )
    DEFAULT_BOT = (
        VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | ADD_REACTIONS
        | USE_EXTERNAL_EMOJIS
        | CREATE_PUBLIC_THREADS
        | SEND_MESSAGES_IN_THREADS
    )


class ApiError(Exception):
    """A Discord error answer: ``{"message": ..., "code": ...}`` with an HTTP status."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body

    @classmethod
    def form(cls, path: str, code: str, message: str) -> ApiError:
        """400 / 50035 Invalid Form Body with Discord's nested ``errors`` for a dotted ``path``."""
        errors: JSON = {"_errors": [{"code": code, "message": message}]}
        for part in reversed(path.split(".")):
            errors = {part: errors}
        return cls(400, 50035, "Invalid Form Body", errors)


class SnowflakeFactory:
    """Realistic, strictly increasing snowflakes (ms << 22 | worker | process | increment)."""

    def __init__(self) -> None:
        self._last = 0
        self._increment = 0

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (1 << 17) | ((os.getpid() & 0x1F) << 12) | (self._increment & 0xFFF)
        self._increment += 1
        value = max(value, self._last + 1)
        self._last = value
        return value

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """The next snowflake whose guild would live on ``shard_id`` of ``shard_count``."""
        value = self.next()
        while (value >> 22) % shard_count != shard_id:
            value += 1 << 22  # a millisecond later
        self._last = value
        return value


def snowflake_time(snowflake: int) -> datetime.datetime:
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)


def iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class Notifier:
    """Wakes every waiter whenever anything in the stand-in changes; waiters re-check a predicate.

    Waiters also re-check every ``poll`` seconds, for predicates about the bot's side (its cache).
    """

    poll = 0.02

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - polls and explains, which asyncio.timeout cannot
        what: str | Callable[[], str],
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"timed out after {timeout:.1f}s waiting for "
                    f"{what() if callable(what) else what}"
                )
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), min(remaining, self.poll))
            except TimeoutError:
                pass


def image_size(data: bytes) -> tuple[int, int] | None:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a project dependency
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # not an image Pillow understands
        return None


@dataclass(eq=False)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    permissions: int = 0
    """Extra permissions granted (through a role) in every guild, on top of @everyone's."""
    locale: str = "en-US"

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0000" if self.bot else "0",
            "global_name": self.global_name,
            "avatar": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(eq=False)
class Attachment:
    id: int
    filename: str
    content_type: str | None
    data: bytes
    url: str
    description: str | None = None
    ephemeral: bool = False
    width: int | None = None
    height: int | None = None
    expired: bool = False
    """The file is gone from the CDN: every link to it answers 404."""
    links: set[str] = field(default_factory=set, repr=False, compare=False)
    """The signatures (`hm`) of the links handed out that still work. Like Discord's, every
    payload carries a freshly signed link; `expire_links` ends those handed out so far."""

    def __post_init__(self) -> None:
        if self.width is None and (self.content_type or "").startswith("image/"):
            size = image_size(self.data)
            if size is not None:
                self.width, self.height = size

    @property
    def size(self) -> int:
        return len(self.data)

    def signed_url(self) -> str:
        """A fresh link to the file, as Discord signs them (`ex`, `is`, `hm`); a link a
        test signed itself is handed out as it is."""
        base, _, query = self.url.partition("?")
        if query:
            self.links.add(parse_qs(query).get("hm", [""])[0])
            return self.url
        signature = secrets.token_hex(16)
        self.links.add(signature)
        now = int(time.time())
        return f"{base}?ex={now + 86400:x}&is={now:x}&hm={signature}"

    def expire_links(self) -> None:
        """Every link handed out so far stops working (as a day later); links in payloads
        sent from now on (a message fetched again) work."""
        self.links.clear()

    def serves(self, signature: str | None) -> bool:
        """Whether the CDN hands the file over for a link with that signature (a bare
        link, as a test reads it, works while the file exists)."""
        return not self.expired and (signature is None or signature in self.links)

    def payload(self) -> JSON:
        url = self.signed_url()
        data: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": url,
            "proxy_url": url,
        }
        if self.content_type is not None:
            data["content_type"] = self.content_type
        if self.description is not None:
            data["description"] = self.description
        if self.width is not None:
            data["width"], data["height"] = self.width, self.height
        if self.ephemeral:
            data["ephemeral"] = True
        return data


@dataclass(eq=False)
class Message:
    id: int
    channel: Channel
    author: User
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: JSON | None = None
    message_reference: JSON | None = None
    edited_at: datetime.datetime | None = None
    deleted: bool = False
    history: list[JSON] = field(default_factory=list)
    """Payload snapshots taken before each edit, oldest first."""

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & FLAG_LOADING)

    @property
    def created_at(self) -> datetime.datetime:
        return snowflake_time(self.id)

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def find_component(self, custom_id: str) -> JSON | None:
        return next(
            (c for c in walk_components(self.components) if c.get("custom_id") == custom_id), None
        )

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel.id),
            "type": self.type,
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at),
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [a.payload() for a in self.attachments],
            "embeds": list(self.embeds),
            "components": list(self.components),
            "pinned": False,
            "flags": self.flags,
        }
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        return data


def walk_components(components: list[JSON]) -> list[JSON]:
    """All components, depth first (action rows, sections, containers, labels included)."""
    found: list[JSON] = []
    for component in components:
        found.append(component)
        found.extend(walk_components(component.get("components", [])))
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                found.extend(walk_components([component[key]]))
    return found
