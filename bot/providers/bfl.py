"""Black Forest Labs' own API: flux-1.1-pro, flux-pro and flux-dev as asynchronous tasks.

POST {base}/v1/{model} (header `x-key`) answers `{"id", "polling_url"}`; the task is polled
at exactly that URL (the global host routes tasks to clusters and the URL names the
one that has it) until `Ready`, then `result.sample`, a signed URL valid ten minutes, is
downloaded at once. `Request Moderated` and `Content Moderated` are final refusals, not
errors. An image prompt travels as base64 in the body. providers.md section 4.

FLUX.2 [pro] (`/v1/flux-2-pro`, section 4b) takes up to 8 reference images as
`input_image`, `input_image_2` ... `input_image_8`, each a URL BFL fetches (a Discord CDN
link) or base64; its submit answer also gives the task's `cost` in BFL credits, which is
logged with the job.
Expand and fill (section 4b) take the input as `image`; fill's mask is drawn here from
the member's cells at the input's size.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from bot.images import inspect_async
from bot.providers.base import (
    GeneratedImage,
    GenerationRequest,
    InputImage,
    ProviderHealth,
    Submission,
)
from bot.providers.errors import (
    ModerationError,
    ResultUnavailable,
    ServerError,
)
from bot.providers.hosted import HostedProvider, Lenient, hosted_entry
from bot.providers.http import Reply, download, fetch, safe_url
from bot.providers.polling import poll_until
from bot.tools.mask import parse_cells, region_mask_png
from bot.workers import in_image_thread

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.bfl.ai"
_MODERATED = ("Request Moderated", "Content Moderated")
_FAILED = ("Error", "Failed", "Task not found")


class _Submitted(Lenient):
    id: str
    polling_url: str
    # FLUX.2 and the newer endpoints: what the task costs (BFL credits, 1 = $0.01) and
    # the megapixels it was priced on.
    cost: float | None = None
    input_mp: float | None = None
    output_mp: float | None = None


class _Result(Lenient):
    sample: str | None = None


class _Task(Lenient):
    id: str | None = None
    status: str
    result: _Result | None = None
    progress: float | None = None


class BflProvider(HostedProvider):
    """api.bfl.ai v1 (header `x-key`)."""

    name = "bfl"

    async def generate(self, request: GenerationRequest) -> GeneratedImage:
        """Submits, polls the returned polling_url until Ready, downloads the sample."""
        attempt = self.attempt(request)
        schema = attempt.schema
        params = attempt.body(request.prompt, request.seed)
        body: dict[str, Any] = dict(params)
        if request.image is not None:
            body[schema.params["image"].wire_name] = base64.b64encode(
                request.image.data
            ).decode("ascii")
        body.update(reference_fields(request.references))
        if "region" in schema.params and request.image is not None:
            body["mask"] = await _fill_mask(request.image.data, str(body.get("mask", "")))
        if request.resume is not None and request.resume.provider == self.name:
            # Submitted before a restart: poll it where BFL said, never pay for it twice.
            url = request.resume.poll_url or ""
            if not self._ours(url):
                raise ResultUnavailable("the stored polling_url is not on BFL's hosts",
                                        provider=self.name)
            submitted = _Submitted(id=request.resume.job_id, polling_url=url)
            log.info("bfl: job %s resumed as %s", request.job_id, submitted.id)
        else:
            submitted = await self._submit(schema.provider_model, body)
            log.info("bfl: job %s submitted as %s", request.job_id, submitted.id)
            _log_cost(request.job_id, submitted)
            await request.submitted(Submission(self.name, submitted.id, submitted.polling_url))
        task = await poll_until(
            lambda: self._status(submitted.polling_url), provider=self.name,
            job=submitted.id, interval=self.timing.poll_interval,
            deadline=self.timing.poll_deadline,
        )
        if task.status in _FAILED:
            # Ended at BFL without an image (and without a charge): another provider may try.
            raise ServerError(f"task ended as {task.status!r}", provider=self.name)
        if task.result is None or not task.result.sample:
            raise ResultUnavailable("Ready task has no result.sample", provider=self.name)
        data, info, slot = await download(
            self._http, task.result.sample, provider=self.name, timing=self.timing,
            base_url=self.base_url, slots=self.slots,
            expected=attempt.output_format,
        )
        return GeneratedImage(
            data=data, format=info.format, width=info.width, height=info.height,
            seed=request.seed, provider=self.name, sent=params, notes=attempt.notes,
            slot=slot,
        )

    async def health(self) -> ProviderHealth:
        """GET /v1/credits: a cheap authenticated call that also gives the balance."""
        checked = await self._check_key(lambda: fetch(
            self._http, "GET", f"{self.base_url}/v1/credits", provider=self.name,
            http_timeout=self.timing.timeout(self.timing.poll_read),
            headers={"x-key": self._secret()},
        ))
        if isinstance(checked, ProviderHealth):
            return checked
        balance = self._balance(checked)
        return ProviderHealth(
            self.name, True, True, f"{balance:g} credits" if balance is not None else ""
        )

    async def _submit(self, model: str, body: dict[str, Any]) -> _Submitted:
        reply = await fetch(
            self._http, "POST", f"{self.base_url}/v1/{model}", provider=self.name,
            http_timeout=self.timing.timeout(self.timing.poll_read),
            headers={"x-key": self._secret()}, json=body,
        )
        if reply.status >= 300:
            raise self._error(reply)
        submitted = self._parse(reply, _Submitted, "submit answer")
        if not self._ours(submitted.polling_url):
            # The key goes with every poll: never to a host that is not BFL's.
            raise self._malformed(
                f"polling_url {safe_url(submitted.polling_url)} is not on BFL's hosts", reply
            )
        return submitted

    async def _status(self, url: str) -> _Task | None:
        """The task once it has ended; None while it runs; raises when it was moderated."""
        reply = await self._get(url)
        if reply.status >= 300:
            raise self._error(reply)
        task = self._parse(reply, _Task, "task status")
        if task.status in _MODERATED:
            raise ModerationError(task.status, provider=self.name, body=self._body(reply))
        return task if task.status == "Ready" or task.status in _FAILED else None

    async def _get(self, url: str) -> Reply:
        return await fetch(
            self._http, "GET", url, provider=self.name,
            http_timeout=self.timing.timeout(self.timing.poll_read),
            headers={"x-key": self._secret()},
        )

    def _ours(self, url: str) -> bool:
        """True when `url` is on the configured host or a sibling of it (api.bfl.ai hands
        out api.us1.bfl.ai and the like), with the same scheme."""
        base, given = urlsplit(self.base_url), urlsplit(url)
        if given.scheme != base.scheme or not given.hostname or not base.hostname:
            return False
        if given.hostname == base.hostname:
            return True
        try:
            ipaddress.ip_address(base.hostname)
        except ValueError:
            site = ".".join(base.hostname.split(".")[-2:])
            return given.hostname.endswith("." + site)
        return False


def reference_fields(references: Sequence[InputImage]) -> dict[str, str]:
    """FLUX.2's reference images in order: `input_image`, `input_image_2`, ... Each goes
    as its Discord link, which BFL fetches (a body of eight base64 files would be tens of
    megabytes), or as base64 when the bot has only the bytes."""
    fields: dict[str, str] = {}
    for number, reference in enumerate(references, start=1):
        name = "input_image" if number == 1 else f"input_image_{number}"
        if reference.url.startswith(("https://", "http://")):
            fields[name] = reference.url
        else:
            fields[name] = base64.b64encode(reference.data).decode("ascii")
    return fields


def _log_cost(job_id: str, submitted: _Submitted) -> None:
    """The task's price as BFL states it, for the operator's bill."""
    if submitted.cost is not None:
        log.info("bfl: job %s costs %g BFL credits (input %s MP, output %s MP)", job_id,
                 submitted.cost, submitted.input_mp, submitted.output_mp)


async def _fill_mask(image: bytes, cells: str) -> str:
    """Fill's `mask` for the member's cells: base64 of an RGB PNG of the input's own size
    (the endpoint refuses any other), white where it repaints (bot.tools.mask)."""
    info = await inspect_async(image)
    png = await in_image_thread(region_mask_png, info.width, info.height,
                                parse_cells(cells))
    return base64.b64encode(png).decode("ascii")


# A task's result link lasts 10 minutes (BFL's docs): a job is resumed within that.
ENTRY = hosted_entry(BflProvider, label="BFL", key_setting="BFL_API_KEY",
                     url_setting="BFL_BASE_URL", url_default=DEFAULT_BASE_URL,
                     resumable_for=600.0)


