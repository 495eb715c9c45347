"""A Segmind v1 stand-in: POST /v1/flux-1.1-pro answers with the image bytes and an
`x-remaining-credits` header; GET /v1/get-user-credits tells the balance. Follows
shared/seeds/004 (width/height 256-1440, rounded to a multiple of 16, custom only).

Faults (`inject(kind, times=1, **params)`):
- "unauthorized" (401 `{"error"}`, echoing the key), "no_credit" (406),
- "rate_limit" (429 `{"html-message"}`, `retry_after=`), "server_error" (`status=`,
  a non-JSON HTML body), "hang" (`seconds=`), "slow" (a normal answer after `seconds=`),
- "malformed" (200 with a JSON content type and broken JSON),
- "corrupt_image" (200 image/png whose bytes stop half-way).
A prompt containing "forbidden" is refused (400, NSFW / content policy).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.support.standins.images import CONTENT_TYPES, not_an_image, ratio_dimensions
from tests.support.standins.providers import SEED_MAX, Fault, Spec, StandIn, check_object

# The page lists no enum values; these are the upstream model's (providers.md section 3).
RATIOS = ("custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3")
BODY = {
    "seed": Spec("int", 0, SEED_MAX),
    "width": Spec("int", 256, 1440),
    "height": Spec("int", 256, 1440),
    "prompt": Spec("string", min=1, required=True),
    "aspect_ratio": Spec("enum", choices=RATIOS),
    "output_format": Spec("enum", choices=("webp", "jpg", "png")),
    "output_quality": Spec("int", 0, 100),
    "safety_tolerance": Spec("int", 1, 5),
    "prompt_upsampling": Spec("bool"),
}
COST = 0.05


class SegmindStandIn(StandIn):
    key_header = "x-api-key"
    generation_path = "/v1/flux-1.1-pro"

    def __init__(self, api_key: str, *, credits: float = 25.0, **options: Any) -> None:
        super().__init__(api_key, **options)
        self.credits = credits
        self.served: list[tuple[int, int, str]] = []  # (width, height, format) per image

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/flux-1.1-pro", self._generate)
        app.router.add_get("/v1/get-user-credits", self._credits)

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.record(request, json=body)
        if not self.key_valid(request):
            return self._unauthorized(request.headers.get("x-api-key"))
        problems = check_object(body, BODY, "body")
        if not problems and ("width" in body or "height" in body):
            if body.get("aspect_ratio", "1:1") != "custom":
                problems.append("body.width/height: only used when aspect_ratio=custom")
        if problems:
            self.violate(problems)
            return web.json_response({"error": "; ".join(problems)}, status=400)
        fault = self.take_fault()
        if fault is not None and fault.kind == "slow":
            await self.hang(fault)
        elif fault is not None:
            return await self._fault(fault)
        if "forbidden" in body["prompt"].lower():
            return web.json_response(
                {"error": "NSFW content detected: the prompt violates the content policy"},
                status=400,
            )
        fmt = body.get("output_format", "webp")
        if body.get("aspect_ratio", "1:1") == "custom":
            # "if it's not, it will be rounded to nearest multiple of 16"
            size = (_round16(body.get("width", 1024)), _round16(body.get("height", 1024)))
        else:
            size = ratio_dimensions(body.get("aspect_ratio", "1:1"), 1.0, 16)
        self.credits = round(self.credits - COST, 4)
        self.served.append((size[0], size[1], fmt))
        return web.Response(
            body=self.result_image(size[0], size[1], fmt, len(self.served)),
            content_type=CONTENT_TYPES[fmt],
            headers={"x-remaining-credits": f"{self.credits:g}"},
        )

    async def _fault(self, fault: Fault) -> web.StreamResponse:
        kind, params = fault.kind, fault.params
        headers = {"x-remaining-credits": f"{self.credits:g}"}
        if kind == "unauthorized":
            return self._unauthorized(self.api_key)
        if kind == "no_credit":
            return web.json_response({"error": "Not enough credits"}, status=406,
                                     headers={"x-remaining-credits": "0"})
        if kind == "rate_limit":
            headers["Retry-After"] = str(params.get("retry_after", "1"))
            return web.json_response({"html-message": "Too many requests, slow down"},
                                     status=429, headers=headers)
        if kind == "server_error":
            return web.Response(status=params.get("status", 500), content_type="text/html",
                                text="<html><body>Internal Server Error</body></html>")
        if kind == "hang":
            await self.hang(fault)
            return web.Response(status=504, text="late")
        if kind == "malformed":
            return web.Response(text='{"status": "Succ', content_type="application/json",
                                headers=headers)
        if kind == "corrupt_image":
            return web.Response(body=not_an_image(), content_type="image/png", headers=headers)
        raise AssertionError(f"unknown fault {kind!r}")

    async def _credits(self, request: web.Request) -> web.Response:
        self.record(request)
        if not self.key_valid(request):
            return self._unauthorized(request.headers.get("x-api-key"))
        return web.json_response({"credits": self.credits, "free-credits": 0.018})

    def _unauthorized(self, shown: str | None) -> web.Response:
        return web.json_response(
            {"error": f"Unauthorized: invalid api key {shown or ''}".strip()}, status=401
        )


def _round16(value: int) -> int:
    return int(value / 16 + 0.5) * 16
