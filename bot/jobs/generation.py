"""From an admitted job to its images: the member's input images fetched and judged, the
fair queue, the safety cap in force when the job starts, and the provider, each provider
job kept for a restart as soon as it exists.

A job of several images (`/imagine count`) makes one provider call per image, each with
its own seed, run together; the images that came are kept, the failures counted. The
results share one bundle of MAX_IMAGES_IN_FLIGHT slots (bot/providers/slots.py): the job
holds every image until the last one is in, to post them in one message."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import images
from bot.cancelling import WaitingJobs
from bot.catalogue.plan import Plan
from bot.credits.charge import Charge
from bot.errors import UserError
from bot.i18n import tr
from bot.jobs.ports import Keeper, ProgressCallback
from bot.jobs.request import MAX_INPUT_BYTES, Attachment, Prepared, Progress
from bot.jobs.resume import StoredImage
from bot.limits import FairScheduler, Ticket
from bot.providers.base import (
    GeneratedImage,
    GenerationRequest,
    InputImage,
    OnSubmitted,
    Submission,
)
from bot.providers.router import Router
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CountedImages:
    """What the calls of one job gave: the images (in order) and the failures."""

    images: list[GeneratedImage]
    failures: list[BaseException]


def seeds(first: int, count: int) -> list[int]:
    """The job's own seed for its first image, a random one for each other."""
    return [first, *(secrets.randbelow(2**32) for _ in range(count - 1))]


async def generate_images(router: Router, request: GenerationRequest, count: int,
                          submitted: Callable[[int, int], OnSubmitted] | None = None,
                          ) -> CountedImages:
    """Makes `count` images of `request`, each with its own seed. Raises the first
    failure when none came; a cancel gives back the slots of those that had come.
    `submitted(index, seed)` gives what is told when image `index`'s provider accepts it."""
    requests = [
        dataclasses.replace(
            request, seed=seed, job_id=request.job_id if n == 0 else f"{request.job_id}:{n}",
            on_submitted=submitted(n, seed) if submitted is not None else None)
        for n, seed in enumerate(seeds(request.seed, count))
    ]
    with router.results.bundle(count):
        tasks = [asyncio.ensure_future(router.generate(r)) for r in requests]
        try:
            await asyncio.wait(tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for task in tasks:
                if not task.cancelled() and task.exception() is None:
                    task.result().release()
            raise
    images = [t.result() for t in tasks if t.exception() is None]
    failures = [e for t in tasks if (e := t.exception()) is not None]
    if not images:
        raise failures[0]
    if failures:
        log.info("job %s: %d of %d images failed (%s)", request.job_id, len(failures), count,
                 ", ".join(type(f).__name__ for f in failures))
    return CountedImages(images, failures)

def lane(prepared: Prepared) -> str:
    """The provider the job goes to first: the server's limit is counted per lane, so jobs
    held up by one provider never hold back another's (SPEC section 5)."""
    attempts = prepared.plan.attempts
    return attempts[0].provider if attempts else ""


class Generation:
    """Makes a reserved job's images; the only caller of the router for a live job."""

    def __init__(
        self,
        *,
        settings: Settings,
        router: Router,
        scheduler: FairScheduler,
        keeper: Keeper,
        fetch: Callable[[str], Awaitable[bytes]],
        waiting: WaitingJobs,
        plan_now: Callable[[Prepared, bool], Awaitable[Plan]],
        at_provider: Callable[[str], None],
    ) -> None:
        self._settings = settings
        self._router = router
        self._scheduler = scheduler
        self._keeper = keeper
        self._fetch = fetch
        self._waiting = waiting
        # The job's plan under the cap in force as it starts (`Preparation.plan_now`).
        self._plan_now = plan_now
        # Told the id of each job whose provider job is kept (a stop leaves it for the
        # next start).
        self._at_provider = at_provider

    def admit(self, prepared: Prepared) -> Ticket:
        """The job's place under the member's and the server's limits (raises when over)."""
        request = prepared.request
        return self._scheduler.admit(request.guild_id, request.user_id, lane(prepared),
                                     size=request.count)

    def release(self, ticket: Ticket) -> None:
        """Gives back a place that never reached the queue."""
        self._scheduler.release(ticket)

    async def fetch_inputs(self, prepared: Prepared) -> None:
        """Downloads and judges the member's image and references. Only once admitted, so
        the attachments one member makes the bot download are bounded by their own limit
        of jobs queued or running."""
        request = prepared.request
        if request.attachment is not None:
            prepared.image = await self._input_image(request.attachment)
            prepared.options["image"] = prepared.image
        prepared.references = tuple(
            [_by_link(await self._input_image(reference)) for reference in request.references])

    async def images(self, prepared: Prepared, charge: Charge, ticket: Ticket,
                     on_progress: ProgressCallback) -> CountedImages:
        """Waits for the job's turn, then makes its images."""
        job_id = charge.id
        queued = False

        async def on_position(position: int) -> None:
            nonlocal queued
            if position > 0:
                queued = True
                await on_progress(Progress("queued", position, job_id=job_id))

        async with self._scheduler.run(ticket, on_position=on_position):
            self._waiting.start(job_id)
            return await self._generate(prepared, charge, on_progress, queued=queued)

    async def _generate(self, prepared: Prepared, charge: Charge, on_progress: ProgressCallback,
                        *, queued: bool) -> CountedImages:
        # A cap changed while the job waited applies: refunded like any provider failure
        # when the job no longer fits it.
        plan = await self._plan_now(prepared, queued)
        started = time.monotonic()
        job_id = charge.id
        await charge.generating()
        await on_progress(Progress("generating", started_at=started, job_id=job_id))
        count = prepared.request.count
        request = GenerationRequest(
            job_id=job_id,
            prompt=prepared.request.prompt,
            seed=prepared.seed,
            plan=plan,
            image=prepared.image,
            references=prepared.references,
            on_submitted=self._on_submitted(job_id) if count == 1 else None,
        )
        if count == 1:
            return CountedImages([await self._router.generate(request)], [])
        # Each image's provider job is kept as it is accepted, so a restart resumes each.
        return await generate_images(self._router, request, count,
                                     self._on_image_submitted(job_id, prepared.unit_cost))

    def _on_submitted(self, job_id: str) -> OnSubmitted:
        """Keeps the provider's job id as soon as it exists."""
        async def submitted(submission: Submission) -> None:
            if await self._keeper.submitted(job_id, submission):
                self._at_provider(job_id)
        return submitted

    def _on_image_submitted(self, job_id: str, unit_cost: int
                            ) -> Callable[[int, int], OnSubmitted]:
        """Keeps each image's provider job, with its seed, as soon as it exists."""
        def for_image(index: int, seed: int) -> OnSubmitted:
            async def submitted(submission: Submission) -> None:
                image = StoredImage(index, submission, seed, unit_cost)
                if await self._keeper.submitted_image(job_id, image):
                    self._at_provider(job_id)
            return submitted
        return for_image

    async def _input_image(self, attachment: Attachment) -> InputImage:
        """Downloads the member's image and judges it by its header (bot/images.py); the
        format is what the bytes are, whatever the attachment's name or type says."""
        if attachment.size > MAX_INPUT_BYTES:
            raise UserError(tr("`{name}` is too large: at most {mb} MB.",
                               name=attachment.name, mb=MAX_INPUT_BYTES // 2**20))
        kept = None
        if attachment.kept_job is not None:
            # Discord's URL lasts about a day; the kept copy serves Reroll, Edit, Try again.
            kept = await self._keeper.stored_input(attachment.kept_job)
        try:
            if kept is not None:
                data = kept.data
            elif attachment.data is not None:
                data = attachment.data
            else:
                data = await self._fetch(attachment.url)
        except Exception as exc:
            log.info("input image %s not downloaded: %s", attachment.filename,
                     type(exc).__name__)
            raise UserError(tr(
                "`{name}` could not be downloaded from Discord. Try again; nothing was "
                "charged.", name=attachment.name,
            )) from None
        try:
            info = images.check_input(data, self._settings.MAX_INPUT_PIXELS,
                                      attachment.name)
        except images.InputRefused as exc:
            log.info("input image %s refused: %s", attachment.filename, exc)
            raise UserError(exc.user_message) from None
        return InputImage(data, attachment.filename, f"image/{info.format}", attachment.url)


def _by_link(reference: InputImage) -> InputImage:
    """A checked reference image as the provider gets it: by its link when it has one
    (BFL fetches it), so its bytes are not held while the provider works."""
    if reference.url.startswith(("https://", "http://")):
        return dataclasses.replace(reference, data=b"")
    return reference
