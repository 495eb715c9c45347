"""What the job pipeline and the router tell an observer (such as the metrics) about the
work they do: ports they declare, so a feature that watches jobs needs no call of its own
inside them."""

from __future__ import annotations

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


class ProviderObserver(Protocol):
    """Told of every provider call the router makes; must return quickly."""

    def provider_called(self, provider: str, seconds: float, ok: bool) -> None:
        """One call (submit, polls and download) took `seconds`; `ok` when it made an image."""
