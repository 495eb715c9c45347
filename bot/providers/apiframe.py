"""apiframe.ai v2: flux-1.1-pro as an asynchronous job (submit, poll, download).

The submit carries an `Idempotency-Key` derived from the bot's job id, so a submit
retried after a lost answer (timeout, 5xx) finds the job already made instead of paying
for a second one. Only after apiframe itself ended a job as FAILED (refunded, per its
docs) does a new attempt get a new key.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.providers.base import (
    GeneratedImage,
    GenerationRequest,
    ProviderHealth,
    Submission,
)
from bot.providers.errors import (
    InvalidRequestError,
    ModerationError,
    ProviderError,
    ResultUnavailable,
    ServerError,
)
from bot.providers.hosted import HostedProvider, Lenient, hosted_entry
from bot.providers.http import (
    MODERATION_PATTERN,
    ProviderTiming,
    Reply,
    download,
    fetch,
)
from bot.providers.polling import poll_until
from bot.providers.slots import ResultSlots
from bot.redact import scrub

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.apiframe.ai"
_DONE = {"COMPLETED", "FAILED", "CANCELLED"}
# Failed jobs remembered for their next key; bounded so a long-running bot does not grow.
_MAX_REMEMBERED = 4096


class _Submitted(Lenient):
    jobId: str
    status: str | None = None


class _Images(Lenient):
    images: list[str]


class _Job(Lenient):
    id: str | None = None
    status: str
    progress: float | None = None
    result: str | _Images | None = None
    error: Any = None

    def urls(self) -> list[str]:
        if isinstance(self.result, str):
            return [self.result]
        return list(self.result.images) if self.result else []


class ApiframeProvider(HostedProvider):
    """apiframe.ai v2 (header `X-API-Key`)."""

    name = "apiframe"
    image_by_url = True

    def __init__(
        self,
        http: aiohttp.ClientSession,
        api_key: SecretStr | None,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timing: ProviderTiming | None = None,
        slots: ResultSlots | None = None,
    ) -> None:
        super().__init__(http, api_key, base_url, timing=timing, slots=slots)
        # job id -> how many of its submissions apiframe ended as FAILED/CANCELLED.
        self._ended: dict[str, int] = {}

    def idempotency_key(self, job_id: str) -> str:
        """Stable for one bot job until apiframe ends a submission of it as failed."""
        generation = self._ended.get(job_id, 0)
        digest = hashlib.sha256(f"fluxcord:{job_id}:{self.name}:{generation}".encode())
        return digest.hexdigest()[:32]

    async def generate(self, request: GenerationRequest) -> GeneratedImage:
        """Submits, polls until a final status within `poll_deadline`, downloads."""
        attempt = self.attempt(request)
        schema = attempt.schema
        params = attempt.body(request.prompt, request.seed)
        if request.image is not None:
            if not request.image.url.startswith(("https://", "http://")):
                raise InvalidRequestError("the image prompt needs a URL", provider=self.name)
            params[schema.params["image"].wire_name] = request.image.url
        prompt = params.pop("prompt")
        body = {"prompt": prompt, "model": schema.provider_model, "fluxParams": params}
        started = time.monotonic()
        if request.resume is not None and request.resume.provider == self.name:
            job_id = request.resume.job_id  # submitted before a restart: poll it, once paid
            log.info("apiframe: job %s resumed as %s", request.job_id, job_id)
        else:
            job_id = await self._submit(body, self.idempotency_key(request.job_id))
            log.info("apiframe: job %s submitted as %s", request.job_id, job_id)
            await request.submitted(Submission(self.name, job_id))
        job = await self._poll(job_id, started)
        if job.status != "COMPLETED":
            self._remember_end(request.job_id)
            raise self._failure(job)
        urls = job.urls()
        if not urls:
            raise ResultUnavailable("COMPLETED job has no result URL", provider=self.name)
        data, info, slot = await download(
            self._http, urls[0], provider=self.name, timing=self.timing,
            base_url=self.base_url, slots=self.slots,
            expected=attempt.output_format,
        )
        self._ended.pop(request.job_id, None)
        sent = {**params, "prompt": prompt}
        return GeneratedImage(
            data=data, format=info.format, width=info.width, height=info.height,
            seed=request.seed, provider=self.name, sent=sent, notes=attempt.notes,
            slot=slot,
        )

    async def health(self) -> ProviderHealth:
        """GET /v2/jobs?limit=1: a cheap authenticated call (lists at most one job)."""
        checked = await self._check_key(lambda: self._get("/v2/jobs?limit=1"))
        if isinstance(checked, ProviderHealth):
            return checked
        return ProviderHealth(self.name, True, True)

    async def _submit(self, body: dict[str, Any], idempotency_key: str) -> str:
        reply = await fetch(
            self._http, "POST", f"{self.base_url}/v2/images/generate", provider=self.name,
            http_timeout=self.timing.timeout(self.timing.poll_read),
            headers={"X-API-Key": self._secret(), "Idempotency-Key": idempotency_key},
            json=body,
        )
        if reply.status >= 300:
            raise self._error(reply)
        return self._parse(reply, _Submitted, "submit answer").jobId

    async def _poll(self, job_id: str, started: float) -> _Job:
        """Polls until a final status (the shared loop waits out transient failures)."""

        async def check() -> _Job | None:
            reply = await self._get(f"/v2/jobs/{job_id}")
            if reply.status >= 300:
                raise self._error(reply)
            job = self._parse(reply, _Job, "job status")
            if job.status in _DONE:
                return job
            log.debug("apiframe: %s is %s (%s%%)", job_id, job.status, job.progress)
            return None

        left = self.timing.poll_deadline - (time.monotonic() - started)
        return await poll_until(
            check, provider=self.name, job=job_id, interval=self.timing.poll_interval,
            deadline=left,
        )

    async def _get(self, path: str) -> Reply:
        return await fetch(
            self._http, "GET", f"{self.base_url}{path}", provider=self.name,
            http_timeout=self.timing.timeout(self.timing.poll_read),
            headers={"X-API-Key": self._secret()},
        )

    def _failure(self, job: _Job) -> ProviderError:
        """A FAILED job: a content-policy refusal is final; anything else is apiframe's (or
        its upstream's) trouble and may be tried again, with a fresh key."""
        error = job.error if isinstance(job.error, str) else str(job.error or job.status)
        message = scrub(error, self._secrets())
        if MODERATION_PATTERN.search(message):
            return ModerationError(message, provider=self.name, body=message)
        return ServerError(f"job {job.status}: {message}", provider=self.name, body=message)

    def _remember_end(self, job_id: str) -> None:
        if len(self._ended) >= _MAX_REMEMBERED:
            self._ended.pop(next(iter(self._ended)))
        self._ended[job_id] = self._ended.get(job_id, 0) + 1


# apiframe keeps a job listed with its images; a day bounds how long one is waited for.
ENTRY = hosted_entry(ApiframeProvider, label="apiframe", key_setting="APIFRAME_API_KEY",
                     url_setting="APIFRAME_BASE_URL", url_default=DEFAULT_BASE_URL,
                     resumable_for=86400.0)
