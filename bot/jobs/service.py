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
from bot.catalogue import MODELS, Model
from bot.catalogue.resolve import EMPTY, PREFERENCES, Layer, resolve
from bot.count import CountedImages, generate_images
from bot.credits import Credits, NewJob, ServerSettings
from bot.credits.records import JobRecords
from bot.credits.rows import Job
from bot.errors import JobFailed, UserError
from bot.fleet import shard_of
from bot.guilds import Guilds
from bot.i18n import Text, join, tr, trn
from bot.jobs.ports import (
    Deliver,
    JobUI,
    Keeper,
    KeepNothing,
    LogChannelRead,
    OptionSource,
    ProgressCallback,
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
from bot.jobs.terms import JobSettings, job_settings_rule, terms
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
from bot.providers.errors import ModerationError, ProviderError
from bot.providers.router import Router
from bot.safety import (
    ChannelLookup,
    SafetyCapExceeded,
    cap_in_channel,
    check_requested,
    not_age_restricted,
)
from bot.settings import Settings
from bot.storage import Rule, Store, Transaction

log = logging.getLogger(__name__)

# A refund that cannot be written (disk full, database locked) is tried again after these
# delays, doubling up to the cap, until it is written: the credits are the member's.
REFUND_RETRY_FIRST = 0.5
REFUND_RETRY_MAX = 30.0
# A job that starts within this many seconds of its checks, without waiting in the queue,
# keeps the safety cap they read instead of reading it again.
CAP_STILL_CURRENT = 1.0


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
        sources: Sequence[OptionSource[Any]] = (),
        screens: Sequence[Screen[Any]] = (),
        keeper: Keeper | None = None,
        observers: Sequence[JobObserver] = (),
        log_channel: LogChannelRead | None = None,
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
        self._log_channel = log_channel
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
        # A frozen request was resolved when it was made: its sources are not asked again.
        sources = () if request.frozen else self._sources
        found, from_sources, from_screens = await self._read(request, sources)
        notes: tuple[str, ...] = ()
        if request.frozen:
            model = self._frozen_model(request)
        else:
            request, model, notes = await self._resolve(request, found, from_sources)
        for screen, read in zip(self._screens, from_screens, strict=True):
            await screen.screen(request, model.id, read)  # before any charge and provider
        cap_read_at = time.monotonic()
        agreed = await terms(request, model, server_cap=self._guilds.server_cap_of(found.config),
                             channel_caps=found.channel_caps, router=self._router,
                             settings=self._settings, channels=self._channels)
        seed = request.seed if request.seed is not None else secrets.randbelow(2**32)
        return Prepared(request, model, agreed.options, agreed.cap, seed, agreed.cost, None,
                        agreed.plan, notes, log_channel=found.log_channel,
                        cap_read_at=cap_read_at, language=found.language)

    async def _read(self, request: ImagineRequest, sources: Sequence[OptionSource[Any]]
                    ) -> tuple[JobSettings, list[Any], list[Any]]:
        """The job's own settings, and what each source and each screen reads for
        `request`, in one transaction (one hop to SQLite's thread, one PostgreSQL
        transaction)."""
        own = job_settings_rule(request.guild_id, self._log_channel)
        by_source = [source.read(request) for source in sources]
        by_screen = [screen.read(request) for screen in self._screens]

        async def each(tx: Transaction, rules: list[Rule[Any] | None]) -> list[Any]:
            return [await rule(tx) if rule is not None else None for rule in rules]

        async def read(tx: Transaction) -> tuple[JobSettings, list[Any], list[Any]]:
            return await own(tx), await each(tx, by_source), await each(tx, by_screen)

        return await self._store.read(read)

    def _frozen_model(self, request: ImagineRequest) -> Model:
        """The model a frozen request names (it was resolved when it was made)."""
        model = self._router.offered().get(request.model or "") or MODELS.get(request.model or "")
        if model is None:
            raise UserError(tr("There is no model `{model}` any more. See /models.",
                               model=request.model))
        return model

    async def _resolve(self, request: ImagineRequest, found: JobSettings, read: list[Any]
                       ) -> tuple[ImagineRequest, Model, tuple[str, ...]]:
        """The request with each option taken from its sources in SPEC's order (the
        command, the preset, the board's style, the member's preferences, the server's
        default model, the operator's: `bot.catalogue.resolve`), its model, and notes on
        what was left out. `read`: what each source's rule read, in the sources' order."""
        layers = dict.fromkeys(Slot, EMPTY)
        board = request.board
        for source, stored in zip(self._sources, read, strict=True):
            for contribution in await source.contribute(request, stored):
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
        server_cap, channel_caps = await self._guilds.safety_caps(request.guild_id)
        return await cap_in_channel(self._channels, request.guild_id, request.channel_id,
                                    server_cap=server_cap, channel_caps=channel_caps,
                                    sfw_max=self._settings.SFW_SAFETY_MAX)

    async def run(
        self, prepared: Prepared, ui: JobUI,
    ) -> bool:
        """Asks the member to confirm a job that costs more than `CONFIRM_ABOVE`, then
        admits, reserves, generates, delivers and settles; refunds on any failure before
        the upload, and on Discord's clear refusal of it. `ui.reply` is kept so the member
        can be answered after a restart. False when the member did not confirm (nothing
        was reserved)."""
        if (prepared.cost > self._settings.CONFIRM_ABOVE
                and not await ui.confirm(prepared.cost, prepared.model.label)):
            return False
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
        return True

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
            prepared.references = tuple(
                [_by_link(await self._input_image(reference))
                 for reference in request.references])
            prepared.generating = ticket.running
            job = await self._credits.reserve(
                NewJob(
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
                    generating=prepared.generating,
                ),
                lambda job_id: self._keeper.reserving(job_id, reply, prepared.image),
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
            provider, message_id = await self._generate_and_deliver(
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
            back = texts.your_credits_back(prepared.cost)
            if cancelled:
                raise JobCancelled(tr("Cancelled. {back}", back=back)) from None
            if isinstance(exc, ModerationError):
                for screen in self._screens:
                    refused = await screen.provider_refused(
                        request, prepared.model.id, join([exc.user_message, back], " "))
                    if refused is not None:
                        raise refused from exc
            if isinstance(exc, ProviderError):
                log.warning("job %s failed at %s: %s", job.id, exc.provider, exc)
                raise JobFailed(join([exc.user_message, back], " ")) from exc
            if isinstance(exc, DeliveryError):
                log.warning("job %s: Discord refused the result: %s", job.id, exc)
                raise JobFailed(tr("Discord did not accept the image. {back}", back=back)
                                ) from exc
            if isinstance(exc, SafetyCapExceeded):
                raise JobFailed(tr("The cap changed while your job waited: {reason} {back}",
                                   reason=exc.message, back=back)) from exc
            raise
        finally:
            self.waiting.forget(job.id)
            self._running.discard(job.id)
            self._at_provider.discard(job.id)
        # The image is in the channel: from here on the job is never refunded. Should the
        # settlement itself fail, start-up recovery finds the message and settles it.
        await self._credits.settle(job.id, message_id)
        return provider

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
    ) -> tuple[str, int]:
        """The provider that made the images, and the message they were posted in. Nothing
        keeps the images after this: they go once uploaded, not after the settlement."""
        queued = False

        async def on_position(position: int) -> None:
            nonlocal queued
            if position > 0:
                queued = True
                await on_progress(Progress("queued", position, job_id=job_id))

        async with self._scheduler.run(ticket, on_position=on_position):
            self.waiting.start(job_id)
            made = await self._generate(prepared, job_id, on_progress, queued=queued)
        # Each image holds one of MAX_IMAGES_IN_FLIGHT slots from its first byte read
        # until it is uploaded: that bounds the results in memory, whatever the burst,
        # while a provider still working holds none.
        try:
            if made.failures:
                prepared.notes = (*prepared.notes, await self._refund_failed(
                    prepared, job_id, made.failures))
            request = prepared.request
            balance = (await self._credits.posting(
                job_id, made.images[0].provider, request.guild_id, request.user_id,
                request.role_ids)).total
            message_id = await deliver(job_id, made.images, balance)
        finally:
            for image in made.images:
                image.release()
        return made.images[0].provider, message_id

    async def _refund_failed(self, prepared: Prepared, job_id: str,
                             failures: Sequence[BaseException]) -> Text:
        """Gives back the share of the images that failed; the note that says so."""
        amount = prepared.unit_cost * len(failures)
        await self._credits.refund_part(job_id, amount, _refund_reason(failures[0]))
        prepared.cost -= amount
        first = failures[0]
        why = first.user_message if isinstance(first, ProviderError) else tr("It failed.")
        count = prepared.request.count
        return trn("{failed} of {n} image could not be made; their {credits} are back. {why}",
                   "{failed} of {n} images could not be made; their {credits} are back. {why}",
                   count, failed=len(failures), credits=texts.credits(amount), why=why)

    async def _generate(
        self, prepared: Prepared, job_id: str, on_progress: ProgressCallback, *,
        queued: bool = False,
    ) -> CountedImages:
        # Looked up again now that the job starts: a cap changed while it waited applies.
        # A job that starts at once, moments after its checks, starts with the cap they
        # read: a change in between could as well have come just after the start.
        fresh = not queued and time.monotonic() - prepared.cap_read_at < CAP_STILL_CURRENT
        cap = prepared.cap if fresh else await self.cap_for(prepared.request)
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
        if not prepared.generating:
            await self._records.mark(job_id, "generating")
        await on_progress(Progress("generating", started_at=started, job_id=job_id))
        request = GenerationRequest(
            job_id=job_id,
            prompt=prepared.request.prompt,
            seed=prepared.seed,
            plan=plan,
            image=prepared.image,
            references=prepared.references,
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
            info = images.check_input(data, self._settings.MAX_INPUT_PIXELS)
        except images.InputRefused as exc:
            log.info("input image %s refused: %s", attachment.filename, exc)
            raise UserError(exc.user_message.replace("`image`", f"`{attachment.name}`")
                            ) from None
        return InputImage(data, attachment.filename, f"image/{info.format}", attachment.url)


def _by_link(reference: InputImage) -> InputImage:
    """A checked reference image as the provider gets it: by its link when it has one
    (BFL fetches it), so its bytes are not held while the provider works."""
    if reference.url.startswith(("https://", "http://")):
        return dataclasses.replace(reference, data=b"")
    return reference


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
