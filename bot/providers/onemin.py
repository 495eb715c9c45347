"""1min.ai: flux-pro, flux-2-pro (and its image editor) and flux-dev through the synchronous
AI Feature API.

POST {base}/api/features answers when the image is made, with a presigned
`aiRecord.temporaryUrl` to download at once. An image prompt is first uploaded to the
Asset API and passed by its key; so is the image an edit changes (`imageUrl`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp
from pydantic import ValidationError

from bot.providers.base import GeneratedImage, GenerationRequest, InputImage
from bot.providers.errors import (
    InsufficientProviderCredit,
    ProviderError,
    ResultUnavailable,
    ServerError,
)
from bot.providers.hosted import HostedProvider, Lenient, hosted_entry
from bot.providers.http import Reply, download, fetch
from bot.redact import scrub

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.1min.ai"


class _Detail(Lenient):
    # A list of asset keys on success; an error object ({"code", "message"}) on some failures.
    resultObject: Any = None


class _Record(Lenient):
    status: str | None = None
    temporaryUrl: str | None = None
    temporaryUrls: list[str] | None = None
    aiRecordDetail: _Detail | None = None


class _FeatureAnswer(Lenient):
    aiRecord: _Record


class _ResultError(Lenient):
    code: str
    message: str = ""


class _Asset(Lenient):
    key: str | None = None


class _FileContent(Lenient):
    path: str | None = None


class _AssetAnswer(Lenient):
    asset: _Asset | None = None
    fileContent: _FileContent | None = None

    @property
    def key(self) -> str | None:
        return (self.asset.key if self.asset else None) or (
            self.fileContent.path if self.fileContent else None
        )


class OneMinProvider(HostedProvider):
    """1min.ai's AI Feature API (header `API-KEY`)."""

    name = "onemin"

    async def generate(self, request: GenerationRequest) -> GeneratedImage:
        """Uploads the image prompt if any, generates, downloads `temporaryUrl`."""
        attempt = self.attempt(request)
        schema = attempt.schema
        params = attempt.body(request.prompt, request.seed)
        key = self._secret()
        if request.image is not None:
            params[schema.params["image"].wire_name] = await self._upload(request.image, key)
        # An editor is the same model in another mode: it changes the image at `imageUrl`.
        kind = "IMAGE_EDITOR" if schema.edits else "IMAGE_GENERATOR"
        body = {"type": kind, "model": schema.provider_model, "promptObject": params}
        log.info("onemin: job %s, %s", request.job_id, schema.provider_model)
        reply = await fetch(
            self._http, "POST", f"{self.base_url}/api/features", provider=self.name,
            http_timeout=self.timing.timeout(self.timing.sync_read),
            headers={"API-KEY": key}, json=body,
        )
        if reply.status >= 300:
            raise self._error(reply)
        url = self._result_url(reply)
        data, info, slot = await download(
            self._http, url, provider=self.name, timing=self.timing,
            base_url=self.base_url, slots=self.slots,
            expected=attempt.output_format,
        )
        return GeneratedImage(
            data=data, format=info.format, width=info.width, height=info.height,
            seed=request.seed, provider=self.name, sent=params, notes=attempt.notes,
            slot=slot,
        )

    async def _upload(self, image: InputImage, key: str) -> str:
        """Puts the image prompt in the Asset API (one multipart field, `asset`)."""
        reply = await fetch(
            self._http, "POST", f"{self.base_url}/api/assets", provider=self.name,
            http_timeout=self.timing.timeout(self.timing.poll_read),
            headers={"API-KEY": key}, data=_one_file("asset", image),
        )
        if reply.status >= 300:
            raise self._error(reply)
        asset = self._parse(reply, _AssetAnswer, "asset upload answer")
        if not asset.key:
            raise self._malformed("asset upload answer has no asset.key", reply)
        log.debug("onemin: uploaded %s as %s", image.filename, asset.key)
        return asset.key

    def _result_url(self, reply: Reply) -> str:
        """The download URL from a 200 answer, or the error that answer stands for."""
        record = self._parse(reply, _FeatureAnswer, "feature answer").aiRecord
        result = record.aiRecordDetail.resultObject if record.aiRecordDetail else None
        # Out of credit comes back as HTTP 200 with an error object in place of the keys.
        if isinstance(result, dict):
            try:
                problem = _ResultError.model_validate(result)
            except ValidationError:
                raise self._malformed("resultObject is neither keys nor an error", reply) from None
            message = scrub(problem.message or problem.code, self._secrets())
            kind: type[ProviderError] = (
                InsufficientProviderCredit if "CREDIT" in problem.code.upper() else ServerError
            )
            raise kind(message, provider=self.name, status=reply.status, body=self._body(reply))
        if record.status != "SUCCESS":
            raise ServerError(
                f"generation ended with status {record.status!r}",
                provider=self.name, status=reply.status, body=self._body(reply),
            )
        if not isinstance(result, list) or not all(isinstance(k, str) for k in result):
            raise self._malformed("resultObject is not a list of strings", reply)
        url = record.temporaryUrl or next(iter(record.temporaryUrls or []), None)
        if not url:
            # The image exists and was paid for; the record just gives no way to fetch it.
            raise ResultUnavailable(
                "the record has no temporaryUrl", provider=self.name, status=reply.status,
                body=self._body(reply),
            )
        return url


# What HTML5 (and so every browser) escapes in a form part's name and file name.
_FORM_ESCAPES = {'"': "%22", "\\": "\\\\"} | {
    chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B
}
_FORM_ESCAPED = re.compile("|".join(re.escape(c) for c in _FORM_ESCAPES))


def _form_escape(value: str) -> str:
    return _FORM_ESCAPED.sub(lambda m: _FORM_ESCAPES[m.group(0)], value)


def _one_file(field: str, image: InputImage) -> aiohttp.MultipartWriter:
    """A multipart/form-data body of one file. Its part headers are written as browsers
    write them: the member's file name escaped per HTML5 (UTF-8 kept), so no quote or
    line break in it can end the header early."""
    part = aiohttp.BytesPayload(image.data)
    part.headers.clear()
    part.headers["Content-Disposition"] = (
        f'form-data; name="{_form_escape(field)}"; filename="{_form_escape(image.filename)}"'
    )
    part.headers["Content-Type"] = image.content_type
    form = aiohttp.MultipartWriter("form-data")
    form.append_payload(part)
    return form


ENTRY = hosted_entry(OneMinProvider, label="1min.ai", key_setting="ONEMIN_API_KEY",
                     url_setting="ONEMIN_BASE_URL", url_default=DEFAULT_BASE_URL)
