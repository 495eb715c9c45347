"""One image job from request to settled credits, in SPEC's order of checks:

options -> safety cap -> limits -> credits (reserved) -> provider -> delivery -> settle.

A refusal at any step before the reservation costs nothing; after it, any failure
refunds. The job's steps each live in one place: its free checks in `preparation`, its
images in `generation`, its credits behind one `Charge` (bot/credits/charge.py), what a
failure tells the member in `failure`. Discord is not known here: the cog hands in one
`JobUI` (bot/jobs/ports.py): confirm a costly job, show where it is, post the images and
return the message id, and how to answer the member after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot import texts
from bot.cancelling import WaitingJobs
from bot.credits import Credits, NewJob
from bot.credits.charge import Charge
from bot.credits.records import JobRecords
from bot.credits.rows import Job
from bot.errors import UserError
from bot.fleet import shard_of
from bot.guilds import Guilds
from bot.i18n import Text, tr, trn
from bot.jobs import failure
from bot.jobs.generation import CountedImages, Generation, lane
from bot.jobs.ports import (
    Deliver,
    JobUI,
    Keeper,
    KeepNothing,
    LogChannelRead,
    OptionSource,
    ProgressCallback,
    Screen,
)
from bot.jobs.preparation import Preparation
from bot.jobs.request import (
    DELETED,
    DeliveryError,
    ImagineRequest,
    Prepared,
    ReplyRef,
    storable,
)
from bot.jobs.resume import (
    LeftForRestart,
    ResumeUI,
    StoredImage,
    UploadUnconfirmed,
    resume_job,
    upload_unconfirmed,
)
from bot.limits import FairScheduler
from bot.log import bind
from bot.observers import JobObserver, Outcome
from bot.providers.base import GeneratedImage
from bot.providers.errors import ProviderError
from bot.providers.router import Router
from bot.safety import ChannelLookup
from bot.settings import Settings
from bot.storage import Store

log = logging.getLogger(__name__)


class JobService:
    """Runs image jobs from their checks to their settlement or refund."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        credits: Credits,
        guilds: Guilds,
        records: JobRecords,
        scheduler: FairScheduler,
        router: Router,
        fetch: Callable[[str], Awaitable[bytes]],
        sources: Sequence[OptionSource[Any]] = (),
        screens: Sequence[Screen[Any]] = (),
        keeper: Keeper | None = None,
        observers: Sequence[JobObserver] = (),
        log_channel: LogChannelRead | None = None,
    ) -> None:
        self._settings = settings
        self._credits = credits
        self._records = records
        self._router = router
        self._screens = tuple(screens)
        self._keeper: Keeper = keeper or KeepNothing()
        self._observers = tuple(observers)
        self._active: set[asyncio.Task[Any]] = set()
        # The jobs this process is running or resuming now, and those of them whose
        # provider job is kept (a stop leaves them for the next start).
        self._running: set[str] = set()
        self._at_provider: set[str] = set()
        self._left = 0  # of them, left for the next start by a stop
        # Reserved jobs still in the queue, which their requester may cancel.
        self.waiting = WaitingJobs()
        self.draining = False
        self._closing = False
        self._preparation = Preparation(
            settings=settings, store=store, guilds=guilds, router=router, sources=sources,
            screens=self._screens, log_channel=log_channel)
        self._generation = Generation(
            settings=settings, router=router, scheduler=scheduler, keeper=self._keeper,
            fetch=fetch, waiting=self.waiting, plan_now=self._preparation.plan_now,
            at_provider=self._at_provider.add)

    def read_channels_with(self, lookup: ChannelLookup) -> None:
        """How a job's channel is read when its cap is needed (the Discord client's
        lookup, given once the client exists); until then no channel is age-restricted."""
        self._preparation.channels = lookup

    async def drain(self, grace: float) -> int:
        """Refuses new jobs and waits up to `grace` s for those in flight; returns how
        many are still running."""
        self.draining = True
        if self._active:
            await asyncio.wait(set(self._active), timeout=grace)
        return len(self._active)

    async def cancel_all(self) -> None:
        """Cancels every job still in flight and waits until each has been refunded, or
        left for the next start when its provider job is kept (`LeftForRestart`)."""
        self._closing = True
        tasks = set(self._active)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._left:
            log.warning("left %d jobs at their provider for the next start to resume",
                        self._left)

    def running(self, job_id: str) -> bool:
        """True while this process runs or resumes the job (recovery leaves it alone)."""
        return job_id in self._running

    def ended(self, outcome: Outcome, model: str, provider: str, seconds: float,
              spent: int) -> None:
        """Tells the observers that a job ended (also one settled or refunded by
        recovery, as a live one is)."""
        for observer in self._observers:
            observer.job_ended(outcome, model, provider, seconds, spent)

    async def prepare(self, request: ImagineRequest) -> Prepared:
        """Every check that costs nothing (bot/jobs/preparation.py)."""
        try:
            return await self._preparation.prepare(request)
        except UserError:
            self.ended(Outcome.REFUSED, request.model or "", "", 0.0, 0)
            raise

    async def run(self, prepared: Prepared, ui: JobUI) -> bool:
        """Asks the member to confirm a job that costs more than `CONFIRM_ABOVE`, then
        admits, reserves, generates, delivers and settles; refunds on any failure before
        the upload, and on Discord's clear refusal of it. `ui.reply` is kept so the member
        can be answered after a restart. False when the member did not confirm (nothing
        was reserved)."""
        if (prepared.cost > self._settings.CONFIRM_ABOVE
                and not await ui.confirm(prepared.cost, prepared.model.label)):
            return False
        if prepared.request.source is not None:
            # Checked at the click too; but a question may have waited since (or a restart).
            await self._still_posted(prepared.request.source)
        if self.draining:
            raise UserError(tr("fluxcord is restarting. Try again in a minute; nothing was "
                               "charged."))
        task = asyncio.current_task()
        assert task is not None
        self._active.add(task)
        guild_id = prepared.request.guild_id
        bind(server=guild_id, shard=shard_of(guild_id, self._settings.SHARD_COUNT))
        started = time.monotonic()
        outcome: Outcome | None = Outcome.FAILED
        provider = lane(prepared)
        try:
            provider = await self._run(prepared, ui.progress, ui.deliver, ui.reply)
            outcome = Outcome.POSTED
        except (LeftForRestart, UploadUnconfirmed):
            outcome = None  # it ends later (after the restart, or the posting check)
            raise
        except BaseException as exc:
            outcome = failure.outcome(exc)
            raise
        finally:
            self._active.discard(task)
            if outcome is not None:
                spent = prepared.cost if outcome is Outcome.POSTED else 0
                self.ended(outcome, prepared.model.id, provider,
                           time.monotonic() - started, spent)
        return True

    async def _still_posted(self, job_id: str) -> None:
        """Raises a UserError when job `job_id`'s result was deleted."""
        source = await self._records.get_job(job_id)
        if source is None or source.deleted_at is not None:
            raise UserError(DELETED)

    async def _run(self, prepared: Prepared, on_progress: ProgressCallback, deliver: Deliver,
                   reply: ReplyRef | None) -> str:
        """Runs the job; the provider that made its images."""
        ticket = self._generation.admit(prepared)
        try:
            await self._generation.fetch_inputs(prepared)
            # A job its admission lets start at once is reserved as generating.
            charge = await self._reserve(prepared, reply, starts_now=ticket.running)
        except BaseException:
            self._generation.release(ticket)
            raise
        job_id = charge.id
        bind(job=job_id)
        uploading = False
        self.waiting.wait(job_id, prepared.request.user_id)
        self._running.add(job_id)

        async def upload(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
            nonlocal uploading
            uploading = True
            return await deliver(job_id, images, balance)

        try:
            # The images are held only by `_post`, and let go when they are uploaded.
            provider, message_id = await self._post(
                prepared, charge,
                await self._generation.images(prepared, charge, ticket, on_progress), upload)
        except BaseException as exc:
            if uploading and not isinstance(exc, DeliveryError):
                # Discord may have the image although the answer never came: the job
                # stays `posting`, and the posting check or start-up recovery looks for
                # the message.
                log.warning("job %s: upload interrupted (%s); left to recovery",
                            job_id, type(exc).__name__)
                if isinstance(exc, Exception):
                    raise UploadUnconfirmed(upload_unconfirmed(
                        prepared.cost, self._settings.POSTING_CHECK_SECONDS)) from exc
                raise
            await self._failed(prepared, charge, exc)
            raise
        finally:
            self.waiting.forget(job_id)
            self._running.discard(job_id)
            self._at_provider.discard(job_id)
        # The image is in the channel: from here on the job is never refunded. Should the
        # settlement itself fail, the posting check or start-up recovery finds the message
        # and settles it.
        await charge.settle(message_id)
        return provider

    async def _reserve(self, prepared: Prepared, reply: ReplyRef | None, *,
                       starts_now: bool) -> Charge:
        """Reserves the job's credits; how to answer its member and its input image are
        kept in the same transaction, before the provider, since a restart may follow."""
        request = prepared.request
        return await Charge.reserve(self._credits, self._records, NewJob(
            guild_id=request.guild_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            model=prepared.model.id,
            prompt=request.prompt,
            options=storable(prepared.options, request.attachment, request.count,
                             request.references),
            seed=prepared.seed,
            cost=prepared.cost,
            role_ids=request.role_ids,
            shard=shard_of(request.guild_id, self._settings.SHARD_COUNT),
            # The ledger names the tool a charge was for.
            reason=f"reserve: {prepared.model.id}" if prepared.model.tool else "reserve",
            generating=starts_now,
        ), also=lambda job_id: self._keeper.reserving(job_id, reply, prepared.image),
            stopping=lambda: self._closing)

    async def _post(self, prepared: Prepared, charge: Charge, made: CountedImages,
                    deliver: Deliver) -> tuple[str, int]:
        """The provider that made the images, and the message they were posted in. Each
        image holds one of MAX_IMAGES_IN_FLIGHT slots from its first byte read until it is
        uploaded: that bounds the results in memory, whatever the burst, while a provider
        still working holds none. Nothing keeps the images after their upload."""
        try:
            if made.failures:
                prepared.notes = (*prepared.notes,
                                  await self._refund_failed(prepared, charge, made.failures))
            provider = made.images[0].provider
            balance = await charge.posting(provider, prepared.request.role_ids)
            message_id = await deliver(charge.id, made.images, balance)
        finally:
            for image in made.images:
                image.release()
        return provider, message_id

    async def _refund_failed(self, prepared: Prepared, charge: Charge,
                             failures: Sequence[BaseException]) -> Text:
        """Gives back the share of the images that failed; the note that says so."""
        amount = prepared.unit_cost * len(failures)
        await charge.refund_part(amount, failure.refund_reason(failures[0]))
        prepared.cost -= amount
        first = failures[0]
        why = first.user_message if isinstance(first, ProviderError) else tr("It failed.")
        count = prepared.request.count
        return trn("{failed} of {n} image could not be made; their {credits} are back. {why}",
                   "{failed} of {n} images could not be made; their {credits} are back. {why}",
                   count, failed=len(failures), credits=texts.credits(amount), why=why)

    async def _failed(self, prepared: Prepared, charge: Charge, exc: BaseException) -> None:
        """Refunds a job that failed before its upload (or whose upload Discord refused)
        and raises what its member is told; returns only when `exc` itself goes on."""
        job_id = charge.id
        cancelled = self.waiting.cancelled(job_id, exc)
        if (self._closing and job_id in self._at_provider and not cancelled
                and isinstance(exc, asyncio.CancelledError)):
            # The provider was paid and keeps the job: the next start polls it again and
            # posts the image, so nothing is refunded now.
            log.info("job %s: stopping while at its provider; left for the next start",
                     job_id)
            self._left += 1
            raise LeftForRestart from None
        reason = "cancelled by the member while queued" if cancelled else failure.refund_reason(exc)
        await asyncio.shield(charge.refund(reason))
        if cancelled or not isinstance(exc, asyncio.CancelledError):
            # Nothing runs from this job again, so its input image is not kept. A stop
            # keeps it: the member is offered Try again.
            await asyncio.shield(self._drop_input(job_id))
        told = await failure.told(exc, cancelled=cancelled, job_id=job_id, cost=prepared.cost,
                                  request=prepared.request, model=prepared.model.id,
                                  screens=self._screens)
        if told is not None:
            raise told from (None if cancelled else exc)

    async def resume(self, job: Job, stored: Sequence[StoredImage], ui: ResumeUI) -> None:
        """Finishes a job a restart interrupted after its provider accepted it (each of its
        images: see `bot.jobs.resume`); its observers are told as of a live job."""
        self._running.add(job.id)
        started = time.monotonic()
        outcome = Outcome.FAILED
        try:
            if await resume_job(self._router, self._records, self._credits, job,
                                stored, ui):
                outcome = Outcome.POSTED
        finally:
            self._running.discard(job.id)
            self.ended(outcome, job.model, stored[0].submission.provider,
                       time.monotonic() - started, job.cost if outcome is Outcome.POSTED else 0)

    async def _drop_input(self, job_id: str) -> None:
        try:
            await self._keeper.drop_input(job_id)
        except Exception:  # the retention drops it later; the member's answer comes first
            log.warning("job %s: kept input image not dropped", job_id, exc_info=True)
