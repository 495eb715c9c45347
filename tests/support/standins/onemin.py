"""A 1min.ai stand-in: the AI Feature API, the Asset API and the presigned result URLs,
following the three model pages in shared/seeds (000, 001, 002).

Faults (`inject(kind, times=1, **params)`), for POST /api/features:
- "unauthorized": 401 `{errorCode, message}` (the message echoes the key sent)
- "no_credit": 200 with `resultObject` = `{"code": "INSUFFICIENT_CREDITS", ...}`
  (`status=` sets aiRecord.status, default "SUCCESS")
- "rate_limit": 429 with `Retry-After` (`retry_after=`, default "1")
- "server_error": `status=` 500 (JSON body) or 502 (HTML body)
- "hang": no answer for `seconds=` (default: the stand-in's hang_seconds)
- "slow": a normal answer after `seconds=`
- "malformed": `shape=` "truncated" (broken JSON), "no_record" or "result_string"
- "failed_record": 200 with aiRecord.status "FAILED"
- "no_url": 200 SUCCESS without temporaryUrl
and for the result URL: "expired_download" (403 from S3).
A prompt containing "forbidden" is refused (422, content policy).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support.standins.images import (
    CONTENT_TYPES,
    EXTENSIONS,
    broken_picture,
    make_noise_image,
    ratio_dimensions,
)
from tests.support.standins.providers import SEED_MAX, Fault, Spec, StandIn, check_object

RATIOS = ("1:1", "16:9", "9:16", "3:2", "2:3", "4:5", "5:4")
_COMMON = {
    "prompt": Spec("string", min=1, required=True),
    "seed": Spec("int", 0, SEED_MAX),
    "output_quality": Spec("int", 0, 100),
}
FLUX_PRO = {
    **_COMMON,
    "image_prompt": Spec("string"),
    "aspect_ratio": Spec("enum", choices=(*RATIOS, "custom")),
    "width": Spec("int", 256, 1440, multiple=32),
    "height": Spec("int", 256, 1440, multiple=32),
    "steps": Spec("int", 1, 50),
    "guidance": Spec("number", 0, 50),
    "interval": Spec("number"),
    "prompt_upsampling": Spec("bool"),
    "output_format": Spec("enum", choices=("webp", "jpg", "png")),
    "safety_tolerance": Spec("int", 1, 5),
    # Not in the parameter table, but in the page's own generated cURL.
    "num_outputs": Spec("int", 1, 1),
}
FLUX_2_PRO = {
    **_COMMON,
    "seed": Spec("int", 0),  # the page gives no range
    "aspect_ratio": Spec("enum", choices=RATIOS),
    "output_format": Spec("enum", choices=("jpg", "png")),
    "steps": Spec("int", 15, 50),
    "guidance": Spec("number", 2, 5),
    "safety_tolerance": Spec("int", 1, 6),
    "prompt_upsampling": Spec("bool"),
}
# flux-2-pro in IMAGE_EDITOR mode (providers.md section 1a).
FLUX_2_PRO_EDIT = {
    **FLUX_2_PRO,
    "imageUrl": Spec("string", min=1, required=True),
    "aspect_ratio": Spec("enum", choices=("match_input_image", *RATIOS)),
}
FLUX_DEV = {
    **_COMMON,
    "image_prompt": Spec("string"),
    "aspect_ratio": Spec("enum", choices=(*RATIOS, "custom")),
    "prompt_strength": Spec("number", 0, 1),
    "num_inference_steps": Spec("int", 1, 50),
    "guidance": Spec("number", 0, 50),
    "disable_safety_checker": Spec("bool"),
    "go_fast": Spec("bool"),
    "megapixels": Spec("enum", choices=("0.25", "1", "2")),
}


@dataclass(frozen=True, slots=True)
class _Model:
    specs: dict[str, Spec]
    default_ratio: str
    default_format: str


MODELS = {
    "black-forest-labs/flux-pro": _Model(FLUX_PRO, "custom", "webp"),
    "black-forest-labs/flux-2-pro": _Model(FLUX_2_PRO, "1:1", "png"),
    "black-forest-labs/flux-dev": _Model(FLUX_DEV, "1:1", "webp"),
}
# The models with an IMAGE_EDITOR mode, and what that mode takes.
EDITORS = {"black-forest-labs/flux-2-pro": FLUX_2_PRO_EDIT}
BUCKET = "asset.1min.ai"


class OneMinStandIn(StandIn):
    key_header = "api-key"
    generation_path = "/api/features"

    def __init__(self, api_key: str, **options: Any) -> None:
        super().__init__(api_key, **options)
        self.assets: dict[str, bytes] = {}
        self.results: dict[str, tuple[bytes, str]] = {}  # key -> (bytes, signature)
        self._serial = itertools.count(1)
        self._noisy_results = 0
        self._broken_results = 0

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/api/features", self._features)
        app.router.add_post("/api/assets", self._assets)
        app.router.add_get(f"/s3/{BUCKET}/{{key:.+}}", self._download)

    # -- AI Feature API ----------------------------------------------------------------

    async def _features(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.record(request, json=body)
        if not self.key_valid(request):
            return self._unauthorized(request.headers.get("API-KEY"))
        problems = self._problems(body)
        if problems:
            self.violate(problems)
            return web.json_response(
                {"errorCode": "BAD_REQUEST", "message": "; ".join(problems)}, status=400
            )
        fault = self.take_fault()
        if fault is not None and (answer := await self._fault(fault, body)) is not None:
            return answer
        prompt_object = body["promptObject"]
        if "forbidden" in prompt_object["prompt"].lower():
            return web.json_response(
                {"errorCode": "CONTENT_POLICY_VIOLATION",
                 "message": "The prompt was rejected by the content moderation system."},
                status=422,
            )
        key, url = self._make_result(body["model"], prompt_object)
        return web.json_response(self._record_body(body, [key], url))

    def _problems(self, body: Any) -> list[str]:
        problems = check_object(body, {
            "type": Spec("enum", choices=("IMAGE_GENERATOR", "IMAGE_EDITOR"), required=True),
            "model": Spec("enum", choices=tuple(MODELS), required=True),
            "promptObject": Spec("object", required=True),
        }, "body")
        if problems:
            return problems
        editing = body["type"] == "IMAGE_EDITOR"
        if editing and body["model"] not in EDITORS:
            return [f"body.model: {body['model']!r} has no IMAGE_EDITOR mode"]
        specs = EDITORS[body["model"]] if editing else MODELS[body["model"]].specs
        prompt_object = body["promptObject"]
        problems = check_object(prompt_object, specs, "promptObject")
        if problems:
            return problems
        for field in ("image_prompt", "imageUrl"):
            image = prompt_object.get(field)
            if image is not None and image not in self.assets:
                problems.append(f"promptObject.{field}: {image!r} is not an uploaded asset key")
        if prompt_object.get("disable_safety_checker") is True:
            problems.append("promptObject.disable_safety_checker: true (the product forbids it)")
        return problems

    def _make_result(self, model_id: str, prompt_object: dict[str, Any]) -> tuple[str, str]:
        model = MODELS[model_id]
        fmt = prompt_object.get("output_format", model.default_format)
        ratio = prompt_object.get("aspect_ratio", model.default_ratio)
        if ratio == "match_input_image":
            ratio = "1:1"  # the stand-in does not read the input's shape
        if model_id.endswith("flux-dev"):
            megapixels = float(prompt_object.get("megapixels", "1"))
            size = ratio_dimensions("1:1" if ratio == "custom" else ratio, megapixels, 16)
        elif ratio == "custom":
            size = (prompt_object.get("width", 1024), prompt_object.get("height", 1024))
        else:
            size = ratio_dimensions(ratio)
        serial = next(self._serial)
        key = f"development/images/2025_10_24_15_00_52_{serial:03d}.{EXTENSIONS[fmt]}"
        signature = hashlib.sha256(f"{key}:{uuid.uuid4()}".encode()).hexdigest()
        if self._noisy_results:
            self._noisy_results -= 1
            data = make_noise_image(size[0], size[1], fmt)
            if self._broken_results and fmt == "png":
                self._broken_results -= 1
                data = broken_picture(data)
        else:
            data = self.result_image(size[0], size[1], fmt, serial)
        self.results[key] = (data, signature)
        url = (
            f"{self.base_url}/s3/{BUCKET}/{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Date=20251024T080054Z&X-Amz-Expires=604800&X-Amz-Signature={signature}"
            "&X-Amz-SignedHeaders=host&x-id=GetObject"
        )
        return key, url

    def _record_body(self, body: dict[str, Any], result: Any, url: str | None,
                     status: str = "SUCCESS") -> dict[str, Any]:
        record: dict[str, Any] = {
            "uuid": str(uuid.uuid4()),
            "userId": "c937fbcc-fa8f-4565-a440-c4d87f56fcb2",
            "teamId": "a4e176b2-dabb-451e-9c58-62b451fa9630",
            "teamUser": {"creditLimit": 100000000, "usedCredit": 1895205, "status": "ACTIVE"},
            "model": body["model"],
            "type": body.get("type", "IMAGE_GENERATOR"),
            "metadata": None,
            "status": status,
            "createdAt": "2025-10-24T08:00:44.752Z",
            "aiRecordDetail": {
                "promptObject": body["promptObject"],
                "resultObject": result,
                "responseObject": {},
            },
            "additionalData": None,
        }
        if url is not None:
            record["temporaryUrl"] = url
        return {"aiRecord": record}

    async def _fault(self, fault: Fault, body: dict[str, Any]) -> web.StreamResponse | None:
        kind, params = fault.kind, fault.params
        if kind == "unauthorized":
            return self._unauthorized(self.api_key)
        if kind == "no_credit":
            error = {"code": "INSUFFICIENT_CREDITS",
                     "message": "Your team does not have enough credits for this request."}
            return web.json_response(self._record_body(body, error, None,
                                                       params.get("status", "SUCCESS")))
        if kind == "rate_limit":
            return web.json_response(
                {"errorCode": "TOO_MANY_REQUESTS", "message": "Rate limit exceeded"},
                status=429, headers={"Retry-After": str(params.get("retry_after", "1"))},
            )
        if kind == "server_error":
            status = params.get("status", 500)
            if status == 502:
                return web.Response(status=502, content_type="text/html",
                                    text="<html><body><h1>502 Bad Gateway</h1></body></html>")
            return web.json_response(
                {"errorCode": "INTERNAL_SERVER_ERROR", "message": "Something went wrong"},
                status=status,
            )
        if kind == "hang":
            await self.hang(fault)
            return web.json_response({"errorCode": "TIMEOUT", "message": "late"}, status=504)
        if kind == "slow":
            await self.hang(fault)
            return None
        if kind == "large_image":  # incompressible pixels: a result over an upload limit
            self._noisy_results += 1
            return None
        if kind == "broken_image":  # over an upload limit, and its pixels cannot be read
            self._noisy_results += 1
            self._broken_results += 1
            return None
        if kind == "malformed":
            shape = params.get("shape", "truncated")
            if shape == "no_record":
                return web.json_response({"ok": True})
            if shape == "result_string":
                return web.json_response(self._record_body(body, "images/x.png", None))
            text = json.dumps(self._record_body(body, ["k"], "u"))[:57]
            return web.Response(text=text, content_type="application/json")
        if kind == "failed_record":
            return web.json_response(self._record_body(body, [], None, "FAILED"))
        if kind == "no_url":
            key, _ = self._make_result(body["model"], body["promptObject"])
            return web.json_response(self._record_body(body, [key], None))
        raise AssertionError(f"unknown fault {kind!r}")

    def _unauthorized(self, shown: str | None) -> web.Response:
        message = (
            f"API Key {shown} is not active. Please contact your team administrator"
            if shown else "API Key has been deleted"
        )
        return web.json_response({"errorCode": "HTTP_EXCEPTION", "message": message}, status=401)

    # -- Asset API and S3 --------------------------------------------------------------

    async def _assets(self, request: web.Request) -> web.Response:
        files: dict[str, str] = {}
        data = b""
        problems: list[str] = []
        try:
            reader = await request.multipart()
            async for part in reader:
                name = getattr(part, "name", None) or "?"
                files[name] = getattr(part, "filename", None) or ""
                if name == "asset":
                    data = await part.read()  # type: ignore[union-attr]
        except (AssertionError, ValueError) as exc:
            problems.append(f"assets: not multipart/form-data ({exc})")
        self.record(request, files=files)
        if not self.key_valid(request):
            return self._unauthorized(request.headers.get("API-KEY"))
        if list(files) != ["asset"] or not files.get("asset"):
            problems.append(f"assets: expected one file field 'asset', got {files}")
        if problems:
            self.violate(problems)
            return web.json_response({"errorCode": "BAD_REQUEST", "message": problems[0]},
                                     status=400)
        key = f"development/images/2025_09_30_13_38_59_{len(self.assets):03d}_{files['asset']}"
        self.assets[key] = data
        return web.json_response({
            "asset": {"key": key, "bucket": BUCKET, "acl": "private",
                      "location": f"https://s3.us-east-1.amazonaws.com/{BUCKET}/{key}"},
            "fileContent": {"path": key, "uuid": str(uuid.uuid4()), "status": "ACTIVE"},
        })

    async def _download(self, request: web.Request) -> web.Response:
        self.record(request)
        key = request.match_info["key"]
        stored = self.results.get(key)
        fault = self.take_fault("download")
        if stored is None or request.query.get("X-Amz-Signature") != stored[1] or fault:
            reason = "Request has expired" if fault else "The request signature does not match"
            return web.Response(
                status=403, content_type="application/xml",
                text=f"<Error><Code>AccessDenied</Code><Message>{reason}</Message></Error>",
            )
        return web.Response(body=stored[0],
                            content_type=CONTENT_TYPES[key.rsplit(".", 1)[1]])
