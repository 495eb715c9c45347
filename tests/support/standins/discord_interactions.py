"""Interactions: the record a test holds of each one, and the INTERACTION_CREATE envelope.

Private module of :mod:`tests.support.standins.discord_api`.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.support.standins.discord_guilds import Channel, Guild
from tests.support.standins.discord_models import JSON, Message, Perm, User

if TYPE_CHECKING:
    from tests.support.standins.discord_state import StandInState


@dataclass(eq=False)
class StandInInteraction:
    """One interaction the stand-in dispatched, and everything the bot did with it."""

    state: StandInState = field(repr=False)
    id: int
    token: str = field(repr=False)
    type: int
    """2 = application command, 3 = message component, 4 = autocomplete, 5 = modal submit."""
    payload: JSON = field(repr=False)
    channel: Channel = field(repr=False)
    user: User
    message: Message | None = field(default=None, repr=False)
    """The message a component was clicked on (or the modal was opened from)."""
    dispatched_at: float = field(default_factory=time.monotonic, repr=False)
    callbacks: list[tuple[int, JSON | None]] = field(default_factory=list)
    """Accepted ``(type, data)`` callbacks in arrival order (Discord accepts only one)."""
    callback_latencies: list[float] = field(default_factory=list, repr=False)
    answers_asked: int = field(default=0, repr=False)
    """Accepted callbacks that asked for Discord's answer (``?with_response=true``)."""
    rejected: list[tuple[str, int]] = field(default_factory=list)
    """Refused calls as ``(what, discord error code)``, e.g. ``('callback 4', 40060)``."""
    original: Message | None = field(default=None, repr=False)
    followups: list[Message] = field(default_factory=list, repr=False)
    """Messages created by followups (a followup that replaced a loading original is not one)."""
    modal: JSON | None = field(default=None, repr=False)
    choices: list[JSON] | None = field(default=None, repr=False)
    timeline: list[tuple[float, str]] = field(default_factory=list, repr=False)
    """``(seconds since dispatch, what)`` for every callback and webhook call, accepted or not."""

    @property
    def guild(self) -> Guild | None:
        return self.channel.guild

    @property
    def data(self) -> JSON:
        data: JSON = self.payload["data"]
        return data

    @property
    def command_name(self) -> str | None:
        """Full command name for commands/autocomplete, e.g. ``'credits grant'``."""
        if self.type not in (2, 4):
            return None
        names, options = [self.data["name"]], self.data.get("options", [])
        while options and options[0]["type"] in (1, 2):  # subcommand (group)
            names.append(options[0]["name"])
            options = options[0].get("options", [])
        return " ".join(names)

    @property
    def acked(self) -> bool:
        return bool(self.callbacks)

    @property
    def ack_latency(self) -> float | None:
        """Seconds from dispatch to the first accepted callback."""
        return self.callback_latencies[0] if self.callback_latencies else None

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.dispatched_at > self.state.token_ttl

    @property
    def responses(self) -> list[Message]:
        """The original response (if any) followed by followup messages, deleted ones left out."""
        found = [self.original] if self.original is not None else []
        return [m for m in (*found, *self.followups) if not m.deleted]

    def note(self, what: str) -> float:
        """Add ``what`` to the timeline; returns the seconds since dispatch."""
        elapsed = time.monotonic() - self.dispatched_at
        self.timeline.append((elapsed, what))
        return elapsed

    def metadata(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "user": self.user.payload(),
            "authorizing_integration_owners": self.payload["authorizing_integration_owners"],
        }
        if self.type == 2:
            data["name"] = self.command_name
            data["command_type"] = 1
        if self.message is not None:
            data["interacted_message_id"] = str(self.message.id)
        return data

    async def wait_for_ack(self, timeout: float = 5.0) -> StandInInteraction:  # noqa: ASYNC109
        """Wait until the first callback has been accepted."""
        return await self.wait_until(
            lambda ix: ix.acked, timeout=timeout, what="an acknowledgement"
        )

    async def wait_until(
        self,
        predicate: Callable[[StandInInteraction], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the tests' API, as for asyncio.wait_for
        what: str | None = None,
    ) -> StandInInteraction:
        """Wait until ``predicate(self)`` holds; re-checked after every change in the stand-in."""
        description = what or getattr(predicate, "__name__", "a condition")

        def explain() -> str:
            return (
                f"{description} on interaction {self.id} "
                f"({self.command_name or self.data.get('custom_id')}); "
                f"timeline: {self.timeline}, rejected: {self.rejected}, "
                f"connected gateway clients: {self.state.connected_clients()}"
            )

        await self.state.notifier.wait_until(lambda: predicate(self), timeout, explain)
        return self


def interaction_token(interaction_id: int) -> str:
    raw = f"interaction:{interaction_id}:{secrets.token_urlsafe(48)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def new_interaction(
    state: StandInState,
    type_: int,
    channel: Channel,
    user: User,
    data: JSON,
    *,
    message: Message | None = None,
) -> StandInInteraction:
    interaction_id = state.new_id()
    token = interaction_token(interaction_id)
    guild = channel.guild
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(state.application_id),
        "type": type_,
        "data": data,
        "channel_id": str(channel.id),
        "token": token,
        "version": 1,
        "locale": user.locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": state.filesize_limit(channel),
        "authorizing_integration_owners": {"0": str(guild.id) if guild else "0"},
        "context": 0 if guild else 1,
    }
    if guild is not None:
        denied = (channel.parent or channel).bot_denied
        payload["app_permissions"] = str(guild.permissions_for(state.bot) & ~denied)
        # The member's permissions in this channel, overwrites applied (as Discord sends them).
        payload["channel"] = channel.payload(permissions=channel.permissions_for(user))
        payload["guild_id"] = str(guild.id)
        payload["guild_locale"] = guild.locale
        payload["guild"] = {
            "id": str(guild.id),
            "locale": guild.locale,
            "features": list(guild.features),
        }
        payload["member"] = guild.member_payload(user, with_permissions=True)
        payload["member"]["permissions"] = str(channel.permissions_for(user))
    else:
        payload["app_permissions"] = str(Perm.DEFAULT_BOT)
        payload["channel"] = channel.payload()
        payload["user"] = user.payload()
    if message is not None:
        payload["message"] = message.payload()
    interaction = StandInInteraction(
        state, interaction_id, token, type_, payload, channel, user, message
    )
    state.interactions[interaction_id] = interaction
    state.interaction_tokens[token] = interaction
    return interaction
