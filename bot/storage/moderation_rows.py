"""What the moderation tables hold, as rows, and the statements each engine runs on them
(`ModerationStatements`, part of the `Transaction` seam)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

StrikeKind = Literal["blocklist", "provider"]
AppealState = Literal["pending", "approved", "rejected"]


@dataclass(frozen=True, slots=True)
class StrikeRow:
    """A refused prompt. `request` is the refused job's model, options and place, as JSON."""

    id: str
    guild_id: int
    user_id: int
    channel_id: int
    kind: StrikeKind
    reason: str
    prompt: str
    request: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class StandingRow:
    """A member's pardon and block in one server (all None when there is neither)."""

    guild_id: int
    user_id: int
    pardoned_at: float | None = None
    blocked_at: float | None = None
    block_reason: str | None = None
    blocked_by: int | None = None


@dataclass(frozen=True, slots=True)
class AppealRow:
    """An appeal of strike `strike_id`, with a copy of the strike."""

    strike_id: str
    guild_id: int
    user_id: int
    channel_id: int
    kind: StrikeKind
    reason: str
    prompt: str
    request: dict[str, Any]
    state: AppealState
    decided_by: int | None
    review_message_id: int | None
    created_at: float
    decided_at: float | None = None


# The columns both engines read, in the order of `StrikeRow` and `AppealRow`.
STRIKE_SELECT = "id, guild_id, user_id, channel_id, kind, reason, prompt, request, created_at"
APPEAL_SELECT = ("strike_id, guild_id, user_id, channel_id, kind, reason, prompt, request, "
                 "state, decided_by, review_message_id, created_at, decided_at")


def strike_row(row: Any) -> StrikeRow:
    """A `StrikeRow` from a row of STRIKE_SELECT (its request is stored as JSON)."""
    values = list(row)
    values[7] = json.loads(values[7])
    return StrikeRow(*values)


def appeal_row(row: Any) -> AppealRow:
    """An `AppealRow` from a row of APPEAL_SELECT (its request is stored as JSON)."""
    values = list(row)
    values[7] = json.loads(values[7])
    return AppealRow(*values)


class ModerationStatements(Protocol):
    """The moderation statements, inside one open transaction of some engine."""

    async def blocklist_entries(self, guild_id: int) -> list[str]:
        """The server's entries as they were written, oldest first."""

    async def add_blocklist_entry(self, guild_id: int, key: str, entry: str,
                                  added_by: int | None, now: float) -> bool:
        """Adds an entry; False when one with the same key is already there."""

    async def remove_blocklist_entry(self, guild_id: int, key: str) -> str | None:
        """Removes the entry with `key`; returns it as written, or None if absent."""

    async def add_strike(self, strike: StrikeRow) -> None:
        """Records a strike."""

    async def strike(self, strike_id: str) -> StrikeRow | None:
        """One strike, or None (never recorded, or removed by an approved appeal)."""

    async def member_strikes(self, guild_id: int, user_id: int) -> list[StrikeRow]:
        """The member's strikes in the server, oldest first."""

    async def delete_strike(self, strike_id: str) -> bool:
        """Removes a strike; False when it was not there."""

    async def member_standing(self, guild_id: int, user_id: int) -> StandingRow:
        """The member's pardon and block (a row of Nones when there is neither)."""

    async def put_member_standing(self, standing: StandingRow) -> None:
        """Inserts or replaces the member's pardon and block."""

    async def insert_appeal(self, appeal: AppealRow) -> bool:
        """Records an appeal; False when the strike was appealed already."""

    async def appeal(self, strike_id: str) -> AppealRow | None:
        """The appeal of a strike, or None."""

    async def member_appeal_times(self, guild_id: int, user_id: int, since: float
                                  ) -> list[float]:
        """When the member appealed in the server since `since`."""

    async def decide_appeal(self, strike_id: str, state: AppealState, by: int,
                            now: float) -> bool:
        """Approves or rejects a pending appeal; False when it was decided already."""

    async def set_appeal_message(self, strike_id: str, message_id: int) -> None:
        """Remembers the appeal's message in the review channel."""

    async def review_channel(self, guild_id: int) -> int | None:
        """The server's review channel, or None."""

    async def set_review_channel(self, guild_id: int, channel_id: int | None) -> None:
        """Sets the review channel; None turns review (and appeals) off."""
