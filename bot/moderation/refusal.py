"""The refusal a moderation check raises, and what the job flow hands the check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.errors import UserError


class ModerationRefusal(UserError):
    """A prompt or member the moderation rules refused; the message is private.

    `strike_id` is set when the refusal was a strike, and `appealable` when the server
    has a review channel, so the refusal can carry an Appeal button.
    """

    def __init__(self, message: str, *, strike_id: str | None = None,
                 appealable: bool = False) -> None:
        super().__init__(message)
        self.strike_id = strike_id
        self.appealable = appealable and strike_id is not None


@dataclass(frozen=True, slots=True)
class Subject:
    """A prompt about to be sent, and enough of its request to run it again on appeal.

    `request` is the job request as JSON (model, options, place); `check_blocklist` is
    False for a prompt the moderators approved on appeal.
    """

    guild_id: int
    user_id: int
    channel_id: int
    prompt: str
    model: str
    request: dict[str, Any] = field(default_factory=dict)
    check_blocklist: bool = True
