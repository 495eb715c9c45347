"""After a restart: a job whose provider job was stored is polled there, posted and
settled, or refunded when the provider has no image for it (SPEC section 8). The same
marks, settlement and refund as a live job; Discord is reached only through the UI the
caller hands in.

A stop whose grace period ends while a job is at such a provider leaves it reserved for
the next start (`LeftForRestart`); an upload whose answer never came is judged by the
posting check, within `posting_check_within` of its end.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.catalogue import MODELS
from bot.catalogue.plan import make_plan
from bot.credits import Credits
from bot.credits.records import JobRecords
from bot.credits.rows import Job
from bot.errors import JobFailed
from bot.i18n import Text, join, trn
from bot.jobs.request import DeliveryError
from bot.providers.base import GeneratedImage, GenerationRequest, Submission
from bot.providers.errors import ProviderError
from bot.providers.router import Router
from bot.texts import credits, your_credits_back

log = logging.getLogger(__name__)

# Any cap: the job was checked against the cap when it was submitted, and a resumed job
# sends nothing new to the provider.
_RESUME_CAP = 6


@dataclass(frozen=True, slots=True)
class StoredImage:
    """One image's provider job as a job kept it: its place in the job (0 for the first),
    its seed and what one image costs (None: the job's own, for a job of one image)."""

    index: int
    submission: Submission
    seed: int | None = None
    unit_cost: int | None = None


class LeftForRestart(asyncio.CancelledError):
    """A stop ended the job while its provider had it: not refunded, the next start
    resumes it."""


# How long after a posting job's last change the posting check judges it: Discord stores
# an upload within moments of taking it in, or never.
POSTING_SETTLE = 30.0


def posting_settle(interval: float) -> float:
    """Seconds a posting job is left alone before the check, every `interval` s, judges
    it."""
    return min(interval, POSTING_SETTLE)


def posting_check_within(interval: float) -> int:
    """Minutes within which the posting check, every `interval` s, judges an interrupted
    upload."""
    return max(1, math.ceil((interval + posting_settle(interval)) / 60))


class UploadUnconfirmed(JobFailed):
    """Discord never answered the job's upload: the job stays `posting` until the posting
    check finds its image (settled) or not (refunded), and is counted then."""


def upload_unconfirmed(cost: int, interval: float) -> Text:
    """What the member reads when Discord never answered their image's upload."""
    minutes = posting_check_within(interval)
    return trn("Discord did not confirm that your image was posted. fluxcord looks for it "
               "in the channel within {n} minute; if it is not there, your {credits} come "
               "back then and you are told.",
               "Discord did not confirm that your image was posted. fluxcord looks for it "
               "in the channel within {n} minutes; if it is not there, your {credits} come "
               "back then and you are told.", minutes, credits=credits(cost))


class ResumeUI(Protocol):
    """How a resumed job reaches its member."""

    async def deliver(self, images: Sequence[GeneratedImage], notes: Sequence[str]) -> int:
        """Posts the images in one message, with `notes`; returns the message's id."""
        ...

    async def done(self, message_id: int, seed: int) -> None:
        """The member's last word, once the job is settled."""
        ...

    async def refunded(self, text: str) -> None:
        """Tells the member the job was refunded, and why."""
        ...


async def resume_job(router: Router, records: JobRecords, ledger: Credits, job: Job,
                     stored: Sequence[StoredImage], ui: ResumeUI) -> bool:
    """Polls the provider jobs a restart interrupted (one per image), posts the images
    they give in one message and settles the job; the images lost are refunded (the
    whole job, and its member told, when none came). True when an image was posted."""
    count = max(int(job.options.get("count", 1)), len(stored))
    made, failures = await _resume_all(router, job, stored)
    if not made:
        first = failures[0]
        log.warning("job %s: resuming at %s failed: %s", job.id, first.provider, first)
        if await ledger.refund(job.id, f"{first.provider}: {type(first).__name__}"):
            await ui.refunded(join([first.user_message, your_credits_back(job.cost)], " "))
        return False
    notes: list[Text] = []
    try:
        # What the images posted cost; the rest of the charge comes back. Reckoned from
        # the charge as it stands, so a second restart refunds nothing twice.
        unit = stored[0].unit_cost or job.cost
        paid = job.cost // unit if unit else len(made)
        if len(made) > paid:
            # An image refunded before the restart (it failed then) came back now: no
            # more are posted than the charge still pays for.
            for image in made[paid:]:
                image.release()
            del made[paid:]
        back = job.cost - unit * len(made)
        if back > 0:
            why = type(failures[0]).__name__ if failures else "not kept"
            await ledger.refund_part(job.id, back, f"{len(made)} of {count} images resumed "
                                     f"after a restart ({why})")
            notes.append(trn("{lost} of {n} image was lost in a restart; their {credits} are "
                             "back.", "{lost} of {n} images were lost in a restart; their "
                             "{credits} are back.", count, lost=count - len(made),
                             credits=credits(back)))
        if not await records.mark(job.id, "posting", provider=made[0].provider):
            log.warning("job %s ended elsewhere while it resumed; not posted", job.id)
            return False
        try:
            message_id = await ui.deliver(made, notes)
        except DeliveryError as exc:
            # Refused for good (the image cannot be made to fit, or Discord said no):
            # resuming again would only refuse again.
            log.warning("job %s: the resumed result was not accepted: %s", job.id, exc)
            if await ledger.refund(job.id, exc.refund_reason):
                await ui.refunded(exc.told(your_credits_back(job.cost)))
            return False
    finally:
        for image in made:
            image.release()
    # The image is in the channel: charged once, now (a crash from here leaves the job
    # posting, and the next start finds the message).
    await ledger.settle(job.id, message_id)
    await ui.done(message_id, made[0].seed)
    return True


async def _resume_all(router: Router, job: Job, stored: Sequence[StoredImage]
                      ) -> tuple[list[GeneratedImage], list[ProviderError]]:
    """The images the stored provider jobs give, in order, and the provider failures;
    any other error is raised (the job stays for the next start)."""
    with router.results.bundle(len(stored)):
        results = await asyncio.gather(
            *(router.resume(_request(job, image)) for image in stored), return_exceptions=True)
    made = [r for r in results if isinstance(r, GeneratedImage)]
    failures = [r for r in results if isinstance(r, ProviderError)]
    unexpected = [r for r in results if isinstance(r, BaseException)
                  and not isinstance(r, ProviderError)]
    if unexpected:
        for image in made:
            image.release()
        raise unexpected[0]
    return made, failures


def _request(job: Job, image: StoredImage) -> GenerationRequest:
    submission = image.submission
    model = MODELS[job.model]
    schemas = [s for s in model.schemas if s.provider == submission.provider]
    # The input image and /blend's references went with the submission; none is sent
    # again, and each stored image is one of `count`.
    options = {k: v for k, v in job.options.items()
               if k not in ("image", "references", "count")}
    plan = make_plan(job.model, schemas, options, _RESUME_CAP, image=False)
    job_id = job.id if image.index == 0 else f"{job.id}:{image.index}"
    seed = job.seed if image.seed is None else image.seed
    return GenerationRequest(job_id=job_id, prompt=job.prompt, seed=seed, plan=plan,
                             resume=submission)
