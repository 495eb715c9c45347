"""After a restart: a job whose provider job was stored is polled there, posted and
settled, or refunded when the provider has no image for it (SPEC section 8). The same
marks, settlement and refund as a live job; Discord is reached only through the UI the
caller hands in."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.catalogue import MODELS
from bot.catalogue.plan import make_plan
from bot.credits import Credits
from bot.credits.records import JobRecords
from bot.credits.rows import Job
from bot.i18n import join
from bot.providers.base import GeneratedImage, GenerationRequest, Submission
from bot.providers.errors import ProviderError
from bot.providers.router import Router
from bot.texts import your_credits_back

log = logging.getLogger(__name__)

# Any cap: the job was checked against the cap when it was submitted, and a resumed job
# sends nothing new to the provider.
_RESUME_CAP = 6


class ResumeUI(Protocol):
    """How a resumed job reaches its member."""

    async def deliver(self, image: GeneratedImage) -> int:
        """Posts the image; returns the message's id."""
        ...

    async def done(self, message_id: int, seed: int) -> None:
        """The member's last word, once the job is settled."""
        ...

    async def refunded(self, text: str) -> None:
        """Tells the member the job was refunded, and why."""
        ...


async def resume_job(router: Router, records: JobRecords, credits: Credits, job: Job,
                     submission: Submission, ui: ResumeUI) -> None:
    """Polls the provider job a restart interrupted, posts its image and settles the job;
    refunds it (and tells the member) when the provider has no image for it."""
    try:
        image = await router.resume(_request(job, submission))
    except ProviderError as exc:
        log.warning("job %s: resuming at %s failed: %s", job.id, exc.provider, exc)
        if await credits.refund(job.id, f"{exc.provider}: {type(exc).__name__}"):
            await ui.refunded(join([exc.user_message,
                                    your_credits_back(job.cost)], " "))
        return
    try:
        await records.mark(job.id, "posting", provider=image.provider)
        message_id = await ui.deliver(image)
    finally:
        image.release()
    # The image is in the channel: charged once, now (a crash from here leaves the job
    # posting, and the next start finds the message).
    await credits.settle(job.id, message_id)
    await ui.done(message_id, image.seed)


def _request(job: Job, submission: Submission) -> GenerationRequest:
    model = MODELS[job.model]
    schemas = [s for s in model.schemas if s.provider == submission.provider]
    # The input image and /blend's references went with the submission; none is sent again.
    options = {k: v for k, v in job.options.items() if k not in ("image", "references")}
    plan = make_plan(job.model, schemas, options, _RESUME_CAP, image=False)
    return GenerationRequest(job_id=job.id, prompt=job.prompt, seed=job.seed, plan=plan,
                             resume=submission)
