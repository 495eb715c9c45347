"""Strikes, cooldowns, blocks and appeals: the rules, as pure functions of a member's rows.

Storage hands in what it keeps for one member in one server (a `MemberRecord` of plain
dataclasses, times as timezone-aware UTC datetimes) and the time now, from an injected
clock; these functions say whether the
member may generate, until when they may not, and whether they may appeal. Nothing here
reads a clock, a database or Discord, so each rule is tested with exact times.

The rules (SPEC section 7):
- A strike is a prompt the blocklist refused or a provider refused as moderated.
- `STRIKES_BEFORE_COOLDOWN` strikes within 24 hours start a cooldown of
  `STRIKE_COOLDOWN_MINUTES` from the strike that completed the count. The strikes that
  started a cooldown are spent: the next cooldown needs as many new ones. (Otherwise one
  more slip after an hour's pause would stop the member again at once.)
- A pardon clears the strikes before it, and so any cooldown they started. An appeal that
  is approved removes its strike: storage deletes the row, and the next decision no longer
  sees it.
- A block stops the member until they are unblocked, whatever their strikes; the refusal
  gives the moderator's reason.
- `APPEALS_PER_DAY` appeals per member in any 24 hours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from bot import mentions
from bot.i18n import tr, trn

WINDOW = timedelta(hours=24)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock; tests pass their own."""
    return datetime.now(UTC)


class StrikeSettings(Protocol):
    STRIKES_BEFORE_COOLDOWN: int
    STRIKE_COOLDOWN_MINUTES: int
    APPEALS_PER_DAY: int


@dataclass(frozen=True, slots=True)
class Policy:
    """The operator's numbers."""

    strikes_before_cooldown: int = 3
    cooldown: timedelta = timedelta(minutes=60)
    appeals_per_day: int = 3
    window: timedelta = WINDOW

    @classmethod
    def from_settings(cls, settings: StrikeSettings) -> Policy:
        return cls(
            strikes_before_cooldown=settings.STRIKES_BEFORE_COOLDOWN,
            cooldown=timedelta(minutes=settings.STRIKE_COOLDOWN_MINUTES),
            appeals_per_day=settings.APPEALS_PER_DAY,
        )


@dataclass(frozen=True, slots=True)
class Strike:
    """One refused prompt. `kind` is what refused it; `reason` the matched entry or the
    provider's word, for the moderators."""

    at: datetime
    kind: Literal["blocklist", "provider"]
    reason: str
    prompt: str = ""


@dataclass(frozen=True, slots=True)
class Block:
    """A moderator stopped the member from generating here."""

    at: datetime
    reason: str | None = None
    by: int | None = None


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """What storage keeps for one member in one server."""

    strikes: Sequence[Strike] = ()
    pardoned_at: datetime | None = None
    block: Block | None = None
    appeals: Sequence[datetime] = ()


@dataclass(frozen=True, slots=True)
class Allowed:
    """The member may generate."""


@dataclass(frozen=True, slots=True)
class Blocked:
    reason: str | None

    @property
    def message(self) -> str:
        if self.reason:
            return tr("A moderator has blocked you from generating images in this server. "
                      "Reason: {reason}", reason=mentions.typed(self.reason))
        return tr("A moderator has blocked you from generating images in this server.")


@dataclass(frozen=True, slots=True)
class CoolingDown:
    until: datetime
    strikes: int

    @property
    def message(self) -> str:
        stamp = discord_time(self.until)
        return trn("{n} of your prompts was refused within 24 hours, so you can generate "
                   "again {when}.",
                   "{n} of your prompts were refused within 24 hours, so you can generate "
                   "again {when}.", self.strikes, when=stamp)


Standing = Allowed | Blocked | CoolingDown


def discord_time(moment: datetime) -> str:
    """A Discord timestamp: each reader sees the time in their own zone, and how far off."""
    return f"<t:{int(moment.timestamp())}:t> (<t:{int(moment.timestamp())}:R>)"


def live_strikes(record: MemberRecord) -> list[Strike]:
    """The strikes a pardon has not cleared, oldest first."""
    cut = record.pardoned_at
    return sorted((s for s in record.strikes if cut is None or s.at > cut), key=_at)


def recent_strikes(record: MemberRecord, now: datetime, policy: Policy) -> list[Strike]:
    """The live strikes of the last 24 hours (what `/moderation strikes` shows first)."""
    return [s for s in live_strikes(record) if now - s.at < policy.window]


def cooldown_until(record: MemberRecord, policy: Policy) -> datetime | None:
    """When the member's latest cooldown ends (it may be over already), or None."""
    until: datetime | None = None
    counting: list[datetime] = []
    for strike in live_strikes(record):
        counting = [t for t in counting if strike.at - t < policy.window]
        counting.append(strike.at)
        if len(counting) >= policy.strikes_before_cooldown:
            until = strike.at + policy.cooldown
            counting = []
    return until


def standing(record: MemberRecord, now: datetime, policy: Policy) -> Standing:
    """Whether the member may generate now; a block first, then a cooldown."""
    if record.block is not None:
        return Blocked(record.block.reason)
    until = cooldown_until(record, policy)
    if until is not None and now < until:
        return CoolingDown(until, len(recent_strikes(record, now, policy)))
    return Allowed()


@dataclass(frozen=True, slots=True)
class AppealAllowance:
    """How many appeals are left in the last 24 hours, and when the next one frees up."""

    left: int
    next_at: datetime | None

    @property
    def allowed(self) -> bool:
        return self.left > 0

    @property
    def message(self) -> str:
        if self.next_at:
            return tr("You have no appeals left for today. You can appeal again {when}.",
                      when=discord_time(self.next_at))
        return tr("You have no appeals left for today.")


def appeal_allowance(record: MemberRecord, now: datetime, policy: Policy) -> AppealAllowance:
    """The member's appeals left (`APPEALS_PER_DAY` in any 24 hours)."""
    recent = sorted(t for t in record.appeals if now - t < policy.window)
    left = max(policy.appeals_per_day - len(recent), 0)
    if left > 0 or not recent or policy.appeals_per_day == 0:
        return AppealAllowance(left, None)
    # The oldest of the appeals that fill the quota is the first to leave the window.
    oldest = recent[len(recent) - policy.appeals_per_day]
    return AppealAllowance(0, oldest + policy.window)


def _at(strike: Strike) -> datetime:
    return strike.at
