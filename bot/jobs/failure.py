"""How a job that failed after its reservation is told: the member's words for it (with
their credits back), the ledger's reason for the refund, and the outcome its observers
count."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from bot import texts
from bot.cancelling import JobCancelled
from bot.credits import JobEnded
from bot.errors import JobFailed, UserError
from bot.i18n import join, tr
from bot.jobs.ports import Screen
from bot.jobs.request import DeliveryError, ImagineRequest
from bot.observers import Outcome
from bot.providers.errors import ModerationError, ProviderError
from bot.safety import SafetyCapExceeded

log = logging.getLogger(__name__)


async def told(exc: BaseException, *, cancelled: bool, job_id: str, cost: int,
               request: ImagineRequest, model: str, screens: Sequence[Screen[Any]]
               ) -> BaseException | None:
    """What the member of refunded job `job_id` of `cost` credits is told instead of `exc`
    (`cancelled`: they cancelled it while it was queued); None when `exc` goes on as it is
    (the bot stopped, or something unforeseen)."""
    back = texts.your_credits_back(cost)
    if cancelled:
        return JobCancelled(tr("Cancelled. {back}", back=back))
    if isinstance(exc, ModerationError):
        for screen in screens:
            refused = await screen.provider_refused(request, model,
                                                    join([exc.user_message, back], " "))
            if refused is not None:
                return refused
    if isinstance(exc, ProviderError):
        log.warning("job %s failed at %s: %s", job_id, exc.provider, exc)
        return JobFailed(join([exc.user_message, back], " "))
    if isinstance(exc, DeliveryError):
        log.warning("job %s: the result was not posted (%s): %s", job_id, exc.refund_reason,
                    exc)
        return JobFailed(exc.told(back))
    if isinstance(exc, JobEnded):  # refunded elsewhere already: no image goes out
        log.warning("job %s ended elsewhere while it ran; not posted", job_id)
        return JobFailed(join([tr("It failed."), back], " "))
    if isinstance(exc, SafetyCapExceeded):
        return JobFailed(tr("The cap changed while your job waited: {reason} {back}",
                            reason=exc.message, back=back))
    return None


def outcome(exc: BaseException) -> Outcome:
    """How a job that raised `exc` out of the job service ended, for its observers."""
    if isinstance(exc, JobCancelled):
        return Outcome.CANCELLED
    if isinstance(exc, JobFailed):
        # Discord refused the upload, or the cap changed: refunded; a provider failed, or
        # the upload's fate is unknown (left to recovery): failed.
        refunded = isinstance(exc.__cause__, (DeliveryError, SafetyCapExceeded))
        return Outcome.REFUNDED if refunded else Outcome.FAILED
    if isinstance(exc, UserError):  # a check, or the provider's content policy
        return Outcome.REFUSED
    if isinstance(exc, asyncio.CancelledError):  # the bot stopped: refunded
        return Outcome.REFUNDED
    return Outcome.FAILED


def refund_reason(exc: BaseException) -> str:
    """Why a job was refunded, for the ledger."""
    if isinstance(exc, asyncio.CancelledError):
        return "the bot stopped while the job ran"
    if isinstance(exc, ProviderError):
        return f"{exc.provider}: {type(exc).__name__}"
    if isinstance(exc, DeliveryError):
        return exc.refund_reason
    return f"failed: {type(exc).__name__}"
