"""One image job from request to settled credits, in SPEC's order of checks:

options -> safety cap -> limits -> credits (reserved) -> provider -> delivery -> settle.

A refusal at any step before the reservation costs nothing; after it, any failure
refunds. Discord is not known here: the cog hands in `deliver` (post the image, return
the message id) and `on_progress` (show where the job is).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import images
from bot.catalogue import MODELS, Model, check_options
from bot.catalogue.plan import Plan
from bot.credits import Credits, NewJob
from bot.errors import JobFailed, UserError
from bot.fleet import shard_of
from bot.guilds import Guilds
from bot.limits import FairScheduler, Ticket
from bot.providers.base import GeneratedImage, GenerationRequest, InputImage
from bot.providers.errors import NoProviderAvailable, ProviderError
from bot.providers.router import Router
from bot.safety import SafetyCapExceeded, cap_in_force, check_requested
from bot.settings import Settings
from bot.storage.records import JobRecords

log = logging.getLogger(__name__)

MAX_INPUT_BYTES = 10 * 1024 * 1024
INPUT_TYPES = ("image/png", "image/jpeg", "image/webp")


@dataclass(frozen=True, slots=True)
class Attachment:
    """An image prompt as Discord describes it, before it is downloaded."""

    url: str
    filename: str
    content_type: str | None
    size: int


@dataclass(frozen=True, slots=True)
class ImagineRequest:
    guild_id: int  # 0 in direct messages
    channel_id: int
    user_id: int
    prompt: str
    age_restricted: bool = False
    model: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    attachment: Attachment | None = None
    seed: int | None = None
    # The channel whose safety cap applies: a thread's or forum post's parent.
    cap_channel_id: int | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    state: str  # "queued" or "generating"
    position: int = 0
    started_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Delivered:
    """What the channel got: the job, the image as generated, and the balance after it."""

    job_id: str
    model: Model
    image: GeneratedImage
    cost: int
    balance_after: int


@dataclass(slots=True)
class Prepared:
    """A request that passed every check before the reservation."""

    request: ImagineRequest
    model: Model
    options: dict[str, Any]
    cap: int
    seed: int
    cost: int
    image: InputImage | None
    # The options checked against the catalogue once, as each provider will take them.
    plan: Plan


class DeliveryError(Exception):
    """Discord did not take the result (the upload was refused)."""


ProgressCallback = Callable[[Progress], Awaitable[None]]
# Posts the image of job `job_id` with the member's balance after it; returns the message id.
Deliver = Callable[[str, GeneratedImage, int], Awaitable[int]]


class JobService:
    """Runs image jobs; the only caller of the router and of the credit reservation."""

    def __init__(
        self,
        *,
        settings: Settings,
        credits: Credits,
        guilds: Guilds,
        records: JobRecords,
        scheduler: FairScheduler,
        router: Router,
        fetch: Callable[[str], Awaitable[bytes]],
    ) -> None:
        self._settings = settings
        self._credits = credits
        self._guilds = guilds
        self._records = records
        self._scheduler = scheduler
        self._router = router
        self._fetch = fetch
        self._active: set[asyncio.Task[Any]] = set()
        self.draining = False

    async def drain(self, grace: float) -> int:
        """Refuses new jobs and waits up to `grace` s for those in flight; returns how
        many are still running."""
        self.draining = True
        if self._active:
            await asyncio.wait(set(self._active), timeout=grace)
        return len(self._active)

    async def cancel_all(self) -> None:
        """Cancels every job still in flight and waits until each has been refunded."""
        tasks = set(self._active)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def prepare(self, request: ImagineRequest) -> Prepared:
        """Every check that costs nothing: options, the input image, the safety cap."""
        model = await self._model_for(request)
        options = dict(request.options)
        if request.attachment is not None:
            options["image"] = request.attachment
        check_options(model, options, self._router.offered())  # before downloading anything
        image = await self._input_image(request.attachment) if request.attachment else None
        if image is not None:
            options["image"] = image
        cap = await self.cap_for(request)
        check_requested(options.get("safety_tolerance"), cap)
        chosen = {k: v for k, v in options.items() if k != "image"}
        try:
            plan = self._router.plan(model.id, chosen, cap, image=image is not None)
        except NoProviderAvailable as exc:
            raise UserError(exc.user_message) from None
        seed = request.seed if request.seed is not None else secrets.randbelow(2**32)
        cost = self._settings.cost(model.id, options.get("megapixels"))
        return Prepared(request, model, options, cap, seed, cost, image, plan)

    async def cap_for(self, request: ImagineRequest) -> int:
        """The safety_tolerance cap in force where the request was made, as stored now."""
        server_cap, channel_caps = await self._guilds.safety_caps(request.guild_id)
        return cap_in_force(
            server_cap=server_cap,
            channel_cap=channel_caps.get(request.cap_channel_id or request.channel_id),
            age_restricted=request.age_restricted,
            sfw_max=self._settings.SFW_SAFETY_MAX,
        )

    async def run(
        self, prepared: Prepared, on_progress: ProgressCallback, deliver: Deliver
    ) -> Delivered:
        """Admits, reserves, generates, delivers and settles; refunds on any failure."""
        if self.draining:
            raise UserError("fluxcord is restarting. Try again in a minute; nothing was charged.")
        task = asyncio.current_task()
        assert task is not None
        self._active.add(task)
        try:
            return await self._run(prepared, on_progress, deliver)
        finally:
            self._active.discard(task)

    async def _run(
        self, prepared: Prepared, on_progress: ProgressCallback, deliver: Deliver
    ) -> Delivered:
        request = prepared.request
        ticket = self._scheduler.admit(request.guild_id, request.user_id)
        try:
            job = await self._credits.reserve(
                NewJob(
                    guild_id=request.guild_id,
                    channel_id=request.channel_id,
                    user_id=request.user_id,
                    model=prepared.model.id,
                    prompt=request.prompt,
                    options=_storable(prepared.options, request.attachment),
                    seed=prepared.seed,
                    cost=prepared.cost,
                    shard=shard_of(request.guild_id, self._settings.SHARD_COUNT),
                )
            )
        except BaseException:
            self._scheduler.release(ticket)
            raise
        try:
            image, balance, message_id = await self._generate_and_deliver(
                prepared, job.id, ticket, on_progress, deliver
            )
        except BaseException as exc:
            await asyncio.shield(self._credits.refund(job.id, _refund_reason(exc)))
            back = f"Your {prepared.cost} credits are back."
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
        # The image is in the channel: from here on the job is never refunded. Should the
        # settlement itself fail, start-up recovery finds the message and settles it.
        await self._credits.settle(job.id, message_id)
        return Delivered(job.id, prepared.model, image, prepared.cost, balance)

    async def _generate_and_deliver(
        self,
        prepared: Prepared,
        job_id: str,
        ticket: Ticket,
        on_progress: ProgressCallback,
        deliver: Deliver,
    ) -> tuple[GeneratedImage, int, int]:
        async def on_position(position: int) -> None:
            if position > 0:
                await on_progress(Progress("queued", position))

        async with self._scheduler.run(ticket, on_position=on_position):
            image = await self._generate(prepared, job_id, on_progress)
        # The image holds one of MAX_IMAGES_IN_FLIGHT slots from its first byte read
        # until it is uploaded: that bounds the results in memory, whatever the burst,
        # while a provider still working holds none.
        try:
            await self._records.mark(job_id, "posting", provider=image.provider)
            request = prepared.request
            balance = (await self._credits.balance(request.guild_id, request.user_id)).total
            message_id = await deliver(job_id, image, balance)
        finally:
            image.release()
        return image, balance, message_id

    async def _generate(
        self, prepared: Prepared, job_id: str, on_progress: ProgressCallback
    ) -> GeneratedImage:
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
        await on_progress(Progress("generating", started_at=started))
        return await self._router.generate(
            GenerationRequest(
                job_id=job_id,
                prompt=prepared.request.prompt,
                seed=prepared.seed,
                plan=plan,
                image=prepared.image,
            )
        )

    async def _model_for(self, request: ImagineRequest) -> Model:
        name = request.model
        if name is None:
            config = await self._guilds.guild_config(request.guild_id)
            name = config.default_model or self._settings.DEFAULT_MODEL
        model = MODELS.get(name)
        if model is None:
            raise UserError(f"There is no model `{name}`. See /models.")
        return model

    async def _input_image(self, attachment: Attachment) -> InputImage:
        if attachment.content_type not in INPUT_TYPES:
            raise UserError("`image` must be a PNG, JPEG or WebP picture.")
        if attachment.size > MAX_INPUT_BYTES:
            raise UserError(f"`image` is too large: at most {MAX_INPUT_BYTES // 2**20} MB.")
        try:
            data = await self._fetch(attachment.url)
            info = await images.inspect_async(data)
        except Exception as exc:
            log.info("input image %s unusable: %s", attachment.filename, type(exc).__name__)
            raise UserError("`image` could not be read as a picture. Try another file.") from None
        return InputImage(data, attachment.filename, f"image/{info.format}", attachment.url)


def _refund_reason(exc: BaseException) -> str:
    """Why a job was refunded, for the ledger."""
    if isinstance(exc, asyncio.CancelledError):
        return "the bot stopped while the job ran"
    if isinstance(exc, ProviderError):
        return f"{exc.provider}: {type(exc).__name__}"
    if isinstance(exc, DeliveryError):
        return "Discord refused the upload"
    return f"failed: {type(exc).__name__}"


def _storable(options: Mapping[str, Any], attachment: Attachment | None) -> dict[str, Any]:
    """The options as JSON for the job row; the input image as its Discord reference."""
    stored = {k: v for k, v in options.items() if k != "image"}
    if attachment is not None:
        stored["image"] = {
            "url": attachment.url,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
        }
    return stored


def attachment_from_stored(options: Mapping[str, Any]) -> Attachment | None:
    ref = options.get("image")
    if not isinstance(ref, dict):
        return None
    return Attachment(ref["url"], ref["filename"], ref.get("content_type"), int(ref["size"]))
