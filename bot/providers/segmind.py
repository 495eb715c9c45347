"""Segmind: flux-1.1-pro through the synchronous v1 API, whose 200 body is the image."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.catalogue.plan import Attempt
from bot.providers.base import GeneratedImage, GenerationRequest, ProviderHealth
from bot.providers.hosted import HostedProvider, hosted_entry
from bot.providers.http import ProviderTiming, Reply, decode_image, fetch
from bot.providers.slots import ResultSlots, Slot

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.segmind.com"
# Segmind answers 406 "Not Acceptable" when the account has not enough credits.
CREDIT_STATUSES = (402, 406)


class SegmindProvider(HostedProvider):
    """Segmind v1 (header `x-api-key`)."""

    name = "segmind"

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
        #: The `x-remaining-credits` of the last answer, for the operator.
        self.remaining_credits: float | None = None

    async def generate(self, request: GenerationRequest) -> GeneratedImage:
        """One POST; the answer is the image bytes (format from `output_format`)."""
        attempt = self.attempt(request)
        schema = attempt.schema
        params = attempt.body(request.prompt, request.seed)
        key = self._secret()
        log.info("segmind: job %s, %s", request.job_id, schema.provider_model)
        slot: Slot | None = None

        async def hold(status: int) -> None:
            # The body of a 2xx is the image: its bytes hold a slot from here on.
            nonlocal slot
            if status < 300:
                slot = await self.slots.take()

        try:
            reply = await fetch(
                self._http, "POST", f"{self.base_url}/v1/{schema.provider_model}",
                provider=self.name, http_timeout=self.timing.timeout(self.timing.sync_read),
                limit=self.timing.max_download_bytes, headers={"x-api-key": key}, json=params,
                on_headers=hold,
            )
            return await self._image(attempt, request, reply, params, slot)
        except BaseException:
            if slot is not None:
                slot.release()
            raise

    async def _image(
        self, attempt: Attempt, request: GenerationRequest, reply: Reply,
        params: dict[str, Any], slot: Slot | None,
    ) -> GeneratedImage:
        """The GeneratedImage a Segmind answer stands for, or the error it is."""
        self._note_credits(reply.headers.get("x-remaining-credits"))
        if reply.status >= 300:
            raise self._error(reply, CREDIT_STATUSES)
        content_type = reply.headers.get("content-type", "")
        if not content_type.startswith("image/"):
            # Not an image at all (a proxy page, a JSON note): nothing was delivered.
            raise self._malformed(
                f"200 answer of type {content_type or 'unknown'!r}, not an image", reply
            )
        info = await decode_image(reply.content, provider=self.name,
                                  expected=attempt.output_format)
        return GeneratedImage(
            data=reply.content, format=info.format, width=info.width, height=info.height,
            seed=request.seed, provider=self.name, sent=params, notes=attempt.notes, slot=slot,
        )

    async def health(self) -> ProviderHealth:
        """GET /v1/get-user-credits: a cheap authenticated call that tells whether the key
        works (and the balance, in USD)."""
        checked = await self._check_key(lambda: fetch(
            self._http, "GET", f"{self.base_url}/v1/get-user-credits", provider=self.name,
            http_timeout=self.timing.timeout(self.timing.poll_read),
            headers={"x-api-key": self._secret()},
        ))
        if isinstance(checked, ProviderHealth):
            return checked
        balance = self._balance(checked)
        detail = f"{balance:g} USD of credit" if balance is not None else ""
        return ProviderHealth(self.name, True, True, detail)

    def _note_credits(self, header: str | None) -> None:
        if header is None:
            return
        try:
            self.remaining_credits = float(header)
        except ValueError:
            return
        log.debug("segmind: %s credits remaining", header)


ENTRY = hosted_entry(SegmindProvider, label="Segmind", key_setting="SEGMIND_API_KEY",
                     url_setting="SEGMIND_BASE_URL", url_default=DEFAULT_BASE_URL)
