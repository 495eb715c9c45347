"""One image job from request to settled credits, in SPEC's order of checks:

options -> safety cap -> limits -> credits (reserved) -> provider -> delivery -> settle.

A refusal at any step before the reservation costs nothing; after it, any failure
refunds. Discord is not known here: the cog hands in one `JobUI` (bot/jobs/ports.py):
show where the job is, post the image and return the message id, and how to answer the
member after a restart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot import images, texts
from bot.cancelling import JobCancelled, WaitingJobs
from bot.catalogue import MODELS, Model, check_options
from bot.catalogue.plan import Plan
from bot.catalogue.resolve import EMPTY, PREFERENCES, Layer, resolve
from bot.count import CountedImages, check_count, generate_images
from bot.credits import Credits, NewJob, ServerSettings
from bot.credits.records import JobRecords
from bot.credits.rows import Job
from bot.errors import JobFailed, UserError
from bot.fleet import shard_of
from bot.guilds import Guilds
from bot.job_settings import JobSettings, read_job_settings
from bot.jobs.ports import (
    Deliver,
    JobUI,
    Keeper,
    KeepNothing,
    OptionSource,
    ProgressCallback,
    Reads,
    Screen,
    Slot,
)
from bot.jobs.request import (
    MAX_INPUT_BYTES,
    Attachment,
    DeliveryError,
    ImagineRequest,
    Prepared,
    Progress,
    ReplyRef,
    attachment_expired,
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
from bot.limits import FairScheduler, Ticket
from bot.log import bind
from bot.observers import JobObserver, Outcome
from bot.providers.base import (
    GeneratedImage,
    GenerationRequest,
    InputImage,
    OnSubmitted,
    Submission,
)
from bot.providers.errors import ModerationError, NoProviderAvailable, ProviderError
from bot.providers.router import Router
from bot.safety import (
    ChannelLookup,
    SafetyCapExceeded,
    cap_in_force,
    check_requested,
    not_age_restricted,
)
from bot.settings import Settings
from bot.storage import Store

log = logging.getLogger(__name__)

# A refund that cannot be written (disk full, database locked) is tried again after these
# delays, doubling up to the cap, until it is written: the credits are the member's.
REFUND_RETRY_FIRST = 0.5
REFUND_RETRY_MAX = 30.0


class JobService:
    """Runs image jobs; the only caller of the router and of the credit reservation."""

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
        sources: Sequence[OptionSource] = (),
        screens: Sequence[Screen] = (),
        keeper: Keeper | None = None,
        observers: Sequence[JobObserver] = (),
    ) -> None:
        self._settings = settings
        self._store = store
        self._credits = credits
        self._guilds = guilds
        self._records = records
        self._scheduler = scheduler
        self._router = router
        self._fetch = fetch
        # Option sources in the order they are asked; screens in the order they judge.
        self._sources = tuple(sources)
        self._screens = tuple(screens)
        self._reads = frozenset(
            {r for source in sources for r in source.reads}
            | {r for screen in screens for r in screen.reads})
        self._keeper: Keeper = keeper or KeepNothing()
        self._channels: ChannelLookup = not_age_restricted
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

    def read_channels_with(self, lookup: ChannelLookup) -> None:
        """How a job's channel is read when its cap is needed (the Discord client's
        lookup, given once the client exists); until then no channel is age-restricted."""
        self._channels = lookup

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
        """Every check that costs nothing: moderation, the models allowed here, options,
        the safety cap, a provider to serve."""
        try:
            return await self._prepare(request)
        except UserError:
            self.ended(Outcome.REFUSED, request.model or "", "", 0.0, 0)
            raise

    async def _prepare(self, request: ImagineRequest) -> Prepared:
        found = await read_job_settings(
            self._store, request.guild_id, request.user_id,
            None if request.frozen else request.preset,
            power=Reads.PRESETS in self._reads, moderation=Reads.MODERATION in self._reads)
        notes: tuple[str, ...] = ()
        if request.frozen:
            model = self._frozen_model(request)
        else:
            request, model, notes = await self._resolve(request, found)
        for screen in self._screens:  # before any charge and any provider call
            await screen.screen(request, model.id, found)
        options = dict(request.options)
        if request.attachment is not None:
            options["image"] = request.attachment
        # The image itself is downloaded and checked once the member's limit admits the job.
        check_options(model, options, self._router.offered())
        cap = await self._cap(request, self._guilds.server_cap_of(found.config),
                              found.channel_caps)
        check_requested(options.get("safety_tolerance"), cap)
        chosen = {k: v for k, v in options.items() if k != "image"}
        try:
            plan = self._router.plan(
                model.id, chosen, cap, image=request.attachment is not None
            )
        except NoProviderAvailable as exc:
            raise UserError(exc.user_message) from None
        if request.attachment is not None and request.attachment.kept_job is not None:
            plan = self._without_expired_url(plan, request.attachment, model)
        seed = request.seed if request.seed is not None else secrets.randbelow(2**32)
        check_count(request.count)
        cost = self._settings.cost(model.id, options.get("megapixels")) * request.count
        return Prepared(request, model, options, cap, seed, cost, None, plan, notes,
                        log_channel=found.log_channel)

    def _without_expired_url(self, plan: Plan, attachment: Attachment, model: Model) -> Plan:
        """The plan without the providers that take an image only by URL once Discord's
        URL of the kept image has expired (the kept bytes serve the others)."""
        if not attachment_expired(attachment.url, time.time()):
            return plan
        kept = self._router.bytes_only(plan)
        if not kept.attempts:
            raise UserError(
                f"The image of that job has expired at Discord, and {model.label}'s provider "
                "here takes images only by link. Use /imagine with the image attached again."
            )
        return kept

    def _frozen_model(self, request: ImagineRequest) -> Model:
        """The model a frozen request names (it was resolved when it was made)."""
        model = self._router.offered().get(request.model or "") or MODELS.get(request.model or "")
        if model is None:
            raise UserError(f"There is no model `{request.model}` any more. See /models.")
        return model

    async def _resolve(self, request: ImagineRequest, found: JobSettings
                       ) -> tuple[ImagineRequest, Model, tuple[str, ...]]:
        """The request with each option taken from its sources in SPEC's order (the
        command, the preset, the board's style, the member's preferences, the server's
        default model, the operator's: `bot.catalogue.resolve`), its model, and notes on
        what was left out."""
        layers = dict.fromkeys(Slot, EMPTY)
        board = request.board
        for source in self._sources:
            for contribution in await source.contribute(request, found):
                layers[contribution.slot] = contribution.layer
                board = contribution.board or board
        config = ServerSettings.resolve(found.config, self._guilds.defaults)
        seed = {"seed": request.seed} if request.seed is not None else {}
        resolved = resolve(
            request.prompt,
            command=Layer(request.model, {**request.options, **seed}),
            preset=layers[Slot.PRESET],
            board=layers[Slot.BOARD],
            preferences=layers[Slot.PREFERENCES],
            server_model=config.default_model,
            operator_model=self._settings.DEFAULT_MODEL,
            offered=self._router.offered(),
        )
        request = dataclasses.replace(
            request, prompt=resolved.prompt, options=resolved.options, seed=resolved.seed,
            board=board, preset=layers[Slot.PRESET].name,
            preferences_applied=resolved.applied(PREFERENCES))
        return request, resolved.model, resolved.notes

    async def cap_for(self, request: ImagineRequest) -> int:
        """The safety_tolerance cap in force in the request's channel now: the caps as
        stored now, and the channel (a thread's parent) as Discord has it now, never as
        it was when the request was made."""
        return await self._cap(request, *await self._guilds.safety_caps(request.guild_id))

    async def _cap(self, request: ImagineRequest, server_cap: int,
                   channel_caps: dict[int, int]) -> int:
        channel = await self._channels(request.guild_id, request.channel_id)
        return cap_in_force(
            server_cap=server_cap,
            channel_cap=channel_caps.get(channel.cap_channel_id),
            age_restricted=channel.age_restricted,
            sfw_max=self._settings.SFW_SAFETY_MAX,
        )

    async def run(
        self, prepared: Prepared, ui: JobUI,
    ) -> None:
        """Admits, reserves, generates, delivers and settles; refunds on any failure
        before the upload, and on Discord's clear refusal of it. `ui.reply` is kept so the
        member can be answered after a restart."""
        if self.draining:
            raise UserError("fluxcord is restarting. Try again in a minute; nothing was charged.")
        task = asyncio.current_task()
        assert task is not None
        self._active.add(task)
        guild_id = prepared.request.guild_id
        bind(server=guild_id, shard=shard_of(guild_id, self._settings.SHARD_COUNT))
        started = time.monotonic()
        outcome: Outcome | None = Outcome.FAILED
        provider = self._lane(prepared)
        try:
            provider = await self._run(prepared, ui.progress, ui.deliver, ui.reply)
            outcome = Outcome.POSTED
        except (LeftForRestart, UploadUnconfirmed):
            outcome = None  # it ends later (after the restart, or the posting check)
            raise
        except BaseException as exc:
            outcome = _outcome(exc)
            raise
        finally:
            self._active.discard(task)
            if outcome is not None:
                spent = prepared.cost if outcome is Outcome.POSTED else 0
                self.ended(outcome, prepared.model.id, provider,
                           time.monotonic() - started, spent)

    async def _run(
        self, prepared: Prepared, on_progress: ProgressCallback, deliver: Deliver,
        reply: ReplyRef | None,
    ) -> str:
        """Runs the job; the provider that made its image."""
        request = prepared.request
        ticket = self._scheduler.admit(request.guild_id, request.user_id, self._lane(prepared),
                                       size=request.count)
        try:
            # Only now, so that the attachments one member makes the bot download are
            # bounded by their own limit of jobs queued or running.
            if request.attachment is not None:
                prepared.image = await self._input_image(request.attachment)
                prepared.options["image"] = prepared.image
            job = await self._credits.reserve(
                NewJob(
                    guild_id=request.guild_id,
                    channel_id=request.channel_id,
                    user_id=request.user_id,
                    model=prepared.model.id,
                    prompt=request.prompt,
                    options=storable(prepared.options, request.attachment, request.count),
                    seed=prepared.seed,
                    cost=prepared.cost,
                    role_ids=request.role_ids,
                    shard=shard_of(request.guild_id, self._settings.SHARD_COUNT),
                )
            )
        except BaseException:
            self._scheduler.release(ticket)
            raise
        bind(job=job.id)
        uploading = False
        self.waiting.wait(job.id, request.user_id)
        self._running.add(job.id)

        async def upload(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
            nonlocal uploading
            uploading = True
            return await deliver(job_id, images, balance)

        try:
            # Before the provider: a restart may follow.
            await self._keeper.reserved(job.id, reply, prepared.image)
            made, message_id = await self._generate_and_deliver(
                prepared, job.id, ticket, on_progress, upload
            )
        except BaseException as exc:
            if uploading and not isinstance(exc, DeliveryError):
                # Discord may have the image although the answer never came: the job
                # stays `posting`, and start-up recovery looks for the message.
                log.warning("job %s: upload interrupted (%s); left to recovery",
                            job.id, type(exc).__name__)
                if isinstance(exc, Exception):
                    raise UploadUnconfirmed(upload_unconfirmed(
                        prepared.cost, self._settings.POSTING_CHECK_SECONDS)) from exc
                raise
            cancelled = self.waiting.cancelled(job.id, exc)
            if (self._closing and job.id in self._at_provider and not cancelled
                    and isinstance(exc, asyncio.CancelledError)):
                # The provider was paid and keeps the job: the next start polls it again
                # and posts the image, so nothing is refunded now.
                log.info("job %s: stopping while at its provider; left for the next start",
                         job.id)
                self._left += 1
                raise LeftForRestart from None
            reason = "cancelled by the member while queued" if cancelled else _refund_reason(exc)
            await asyncio.shield(self._refund(job.id, reason))
            if cancelled or not isinstance(exc, asyncio.CancelledError):
                # Nothing runs from this job again, so its input image is not kept. A stop
                # keeps it: the member is offered Try again.
                await asyncio.shield(self._drop_input(job.id))
            back = f"Your {texts.credits_back(prepared.cost)}."
            if cancelled:
                raise JobCancelled(f"Cancelled. {back}") from None
            if isinstance(exc, ModerationError):
                for screen in self._screens:
                    refused = await screen.provider_refused(
                        request, prepared.model.id, f"{exc.user_message} {back}")
                    if refused is not None:
                        raise refused from exc
            if isinstance(exc, ProviderError):
                log.warning("job %s failed at %s: %s", job.id, exc.provider, exc)
                raise JobFailed(f"{exc.user_message} {back}") from exc
            if isinstance(exc, DeliveryError):
                log.warning("job %s: Discord refused the result: %s", job.id, exc)
                raise JobFailed(f"Discord did not accept the image. {back}") from exc
            if isinstance(exc, SafetyCapExceeded):
                raise JobFailed(f"The cap changed while your job waited: {exc.message} {back}"
                                ) from exc
            raise
        finally:
            self.waiting.forget(job.id)
            self._running.discard(job.id)
            self._at_provider.discard(job.id)
        # The image is in the channel: from here on the job is never refunded. Should the
        # settlement itself fail, start-up recovery finds the message and settles it.
        await self._credits.settle(job.id, message_id)
        return made[0].provider

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

    async def _refund(self, job_id: str, reason: str) -> None:
        """Refunds the job, trying again with growing delays until the refund is written."""
        delay = REFUND_RETRY_FIRST
        while True:
            try:
                await self._credits.refund(job_id, reason)
                return
            except Exception as exc:
                if self._closing:  # start-up recovery refunds what is still reserved
                    log.error("refund of job %s failed at shutdown (%s); left to recovery",
                              job_id, exc)
                    return
                log.warning("refund of job %s failed (%s); trying again in %.1f s",
                            job_id, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, REFUND_RETRY_MAX)

    async def _drop_input(self, job_id: str) -> None:
        try:
            await self._keeper.drop_input(job_id)
        except Exception:  # the retention drops it later; the member's answer comes first
            log.warning("job %s: kept input image not dropped", job_id, exc_info=True)

    def _lane(self, prepared: Prepared) -> str:
        """The provider the job goes to first: the server's limit is counted per lane, so
        jobs held up by one provider never hold back another's (SPEC section 5)."""
        attempts = prepared.plan.attempts
        return attempts[0].provider if attempts else ""

    async def _generate_and_deliver(
        self,
        prepared: Prepared,
        job_id: str,
        ticket: Ticket,
        on_progress: ProgressCallback,
        deliver: Deliver,
    ) -> tuple[list[GeneratedImage], int]:
        async def on_position(position: int) -> None:
            if position > 0:
                await on_progress(Progress("queued", position, job_id=job_id))

        async with self._scheduler.run(ticket, on_position=on_position):
            self.waiting.start(job_id)
            made = await self._generate(prepared, job_id, on_progress)
        # Each image holds one of MAX_IMAGES_IN_FLIGHT slots from its first byte read
        # until it is uploaded: that bounds the results in memory, whatever the burst,
        # while a provider still working holds none.
        try:
            if made.failures:
                prepared.notes = (*prepared.notes, await self._refund_failed(
                    prepared, job_id, made.failures))
            await self._records.mark(job_id, "posting", provider=made.images[0].provider)
            request = prepared.request
            balance = (await self._credits.balance(request.guild_id, request.user_id,
                                                   request.role_ids)).total
            message_id = await deliver(job_id, made.images, balance)
        finally:
            for image in made.images:
                image.release()
        return made.images, message_id

    async def _refund_failed(self, prepared: Prepared, job_id: str,
                             failures: Sequence[BaseException]) -> str:
        """Gives back the share of the images that failed; the note that says so."""
        amount = prepared.unit_cost * len(failures)
        await self._credits.refund_part(job_id, amount, _refund_reason(failures[0]))
        prepared.cost -= amount
        first = failures[0]
        why = first.user_message.rstrip(".") if isinstance(first, ProviderError) else "it failed"
        count = prepared.request.count
        return (f"{len(failures)} of {count} images could not be made ({why}); "
                f"their {amount} credits are back.")

    async def _generate(
        self, prepared: Prepared, job_id: str, on_progress: ProgressCallback
    ) -> CountedImages:
        # Looked up again now that the job starts: a cap changed while it waited applies.
        cap = await self.cap_for(prepared.request)
        plan = prepared.plan
        if cap != prepared.cap:
            check_requested(prepared.options.get("safety_tolerance"), cap)
            # Raises NoProviderAvailable (refunded like any provider failure) when no
            # provider fits the new cap.
            chosen = {k: v for k, v in prepared.options.items() if k != "image"}
            plan = self._router.plan(
                prepared.model.id, chosen, cap, image=prepared.image is not None
            )
        started = time.monotonic()
        await self._records.mark(job_id, "generating")
        await on_progress(Progress("generating", started_at=started, job_id=job_id))
        request = GenerationRequest(
            job_id=job_id,
            prompt=prepared.request.prompt,
            seed=prepared.seed,
            plan=plan,
            image=prepared.image,
            on_submitted=self._on_submitted(job_id) if prepared.request.count == 1 else None,
        )
        if prepared.request.count == 1:
            return CountedImages([await self._router.generate(request)], [])
        # Each image's provider job is kept as it is accepted, so a restart resumes each.
        return await generate_images(self._router, request, prepared.request.count,
                                     self._on_image_submitted(job_id, prepared.unit_cost))

    def _on_submitted(self, job_id: str) -> OnSubmitted:
        """Keeps the provider's job id as soon as it exists."""
        async def submitted(submission: Submission) -> None:
            if await self._keeper.submitted(job_id, submission):
                self._at_provider.add(job_id)
        return submitted

    def _on_image_submitted(self, job_id: str, unit_cost: int
                            ) -> Callable[[int, int], OnSubmitted]:
        """Keeps each image's provider job, with its seed, as soon as it exists."""
        def for_image(index: int, seed: int) -> OnSubmitted:
            async def submitted(submission: Submission) -> None:
                image = StoredImage(index, submission, seed, unit_cost)
                if await self._keeper.submitted_image(job_id, image):
                    self._at_provider.add(job_id)
            return submitted
        return for_image

    async def _input_image(self, attachment: Attachment) -> InputImage:
        """Downloads the member's image and judges it by its header (bot/images.py); the
        format is what the bytes are, whatever the attachment's name or type says."""
        if attachment.size > MAX_INPUT_BYTES:
            raise UserError(f"`image` is too large: at most {MAX_INPUT_BYTES // 2**20} MB.")
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
            raise UserError(
                "`image` could not be downloaded from Discord. Try again; nothing was charged."
            ) from None
        try:
            info = images.check_input(data, self._settings.MAX_INPUT_PIXELS)
        except images.InputRefused as exc:
            log.info("input image %s refused: %s", attachment.filename, exc)
            raise UserError(exc.user_message) from None
        return InputImage(data, attachment.filename, f"image/{info.format}", attachment.url)


def _outcome(exc: BaseException) -> Outcome:
    """How a job that raised `exc` out of the job service ended, for its observer."""
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


def _refund_reason(exc: BaseException) -> str:
    """Why a job was refunded, for the ledger."""
    if isinstance(exc, asyncio.CancelledError):
        return "the bot stopped while the job ran"
    if isinstance(exc, ProviderError):
        return f"{exc.provider}: {type(exc).__name__}"
    if isinstance(exc, DeliveryError):
        return "Discord refused the upload"
    return f"failed: {type(exc).__name__}"
