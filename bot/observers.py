"""Ports the job pipeline and the router declare: what they tell an observer (such as the
metrics) about the work they do, and the leases that share a provider's limit between
processes, so that neither feature needs a call of its own inside them."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    """How a job ended, as an operator counts them."""

    POSTED = "posted"
    # Refused by a check (nothing charged), or by the provider's content policy.
    REFUSED = "refused"
    # No provider made the image: the credits went back.
    FAILED = "failed"
    # Charged, then given back for another reason (Discord refused the upload, a stop).
    REFUNDED = "refunded"
    # The member cancelled it while it waited.
    CANCELLED = "cancelled"


class JobObserver(Protocol):
    """Told of every job the job service runs or refuses; must return quickly."""

    def job_ended(self, outcome: Outcome, model: str, provider: str, seconds: float,
                  spent: int) -> None:
        """A job ended: `provider` made its image (or was the first to try), `spent` is
        what the member paid in the end."""


class Leases(Protocol):
    """Each provider's limit of calls at once, shared with the bot's other processes."""

    def hold(self, provider: str, limit: int) -> AbstractAsyncContextManager[None]:
        """Waits for one of `provider`'s `limit` slots, fleet-wide, and holds it."""
        ...

    def cooled_down(self, provider: str, seconds: float) -> None:
        """This process met a 429 from `provider`: the others hold back `seconds` too."""


class ProviderObserver(Protocol):
    """Told of every provider call the router makes; must return quickly."""

    def provider_called(self, provider: str, seconds: float, ok: bool) -> None:
        """One call (submit, polls and download) took `seconds`; `ok` when it made an image."""
