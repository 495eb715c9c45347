"""A Black Forest Labs API stand-in: submit, poll at the returned `polling_url`, the
signed delivery URL and the credits call, following providers.md section 4 and BFL's
OpenAPI document (the per-model inputs below).

Submits answer `{"id", "polling_url"}`; the polling URL is deliberately on a path of its
own (as BFL's names a cluster), so a client that rebuilds it from the base URL polls
`/v1/get_result` and is recorded as a violation. A task is `Pending` for
`polls_to_complete - 1` polls, then `Ready` with `result.sample`.

Faults (`inject(kind, times=1, **params)`), on submit:
- "unauthorized" (403, BFL's "Not authenticated"), "no_credit" (402),
- "rate_limit" (429, the active-task cap, `retry_after=`), "server_error" (`status=`),
- "hang" (`seconds=`), "malformed" (200 without polling_url), "html" (200 text/html),
- "deep_json" (200 JSON nested deeper than any parser's recursion limit),
- "trickle" (a valid answer sent one byte every `seconds=`, default 0.2);
on a poll: "poll_error" (`status=`, default 500), "task_error" (the task ends `Error`);
on the delivery URL: "expired_download" (403), "redirect" (302 to `location=`).
Expand and fill (`TOOL_BODIES`) also refuse an image or mask that is not one, and a
mask not of the image's size or with an alpha channel, with BFL's 422.
A prompt containing "forbidden" ends `Request Moderated`, one containing "flagged"
`Content Moderated` (neither charged).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from PIL import Image

from tests.support.standins.images import CONTENT_TYPES
from tests.support.standins.providers import SEED_MAX, Fault, Spec, StandIn, check_object

_COMMON = {
    "prompt": Spec("string", 1, required=True),
    "image_prompt": Spec("string"),
    "width": Spec("int", 256, 1440, multiple=32),
    "height": Spec("int", 256, 1440, multiple=32),
    "prompt_upsampling": Spec("bool"),
    "seed": Spec("int", 0, SEED_MAX),
    "safety_tolerance": Spec("int", 0, 6),
    "output_format": Spec("enum", choices=("jpeg", "png")),
    "webhook_url": Spec("string"),
    "webhook_secret": Spec("string"),
}
# FluxPro11Inputs, FluxProInputs, FluxDevInputs.
BODIES: dict[str, dict[str, Spec]] = {
    "flux-pro-1.1": _COMMON,
    "flux-pro": {**_COMMON, "steps": Spec("int", 1, 50), "guidance": Spec("number", 1.5, 5),
                 "interval": Spec("number", 1, 4)},
    "flux-dev": {**_COMMON, "steps": Spec("int", 1, 50), "guidance": Spec("number", 1.5, 5)},
}
POLL_PATH = "/cluster-us1/v1/get_result"

# FLUX.2 [pro] (providers.md section 4b, `Flux2Inputs`): up to 8 reference images, each a
# URL BFL fetches or base64; a size on 16s of at most 4 MP (2048 x 2048); tolerance 0-5.
FLUX_2_REFERENCES = 8
FLUX_2_MAX_PIXELS = 2048 * 2048
FLUX_2_PRO: dict[str, Spec] = {
    "prompt": Spec("string", 1, required=True),
    **{("input_image" if n == 1 else f"input_image_{n}"): Spec("string")
       for n in range(1, FLUX_2_REFERENCES + 1)},
    "seed": Spec("int", 0, SEED_MAX),
    "width": Spec("int", 64, 2048, multiple=16),
    "height": Spec("int", 64, 2048, multiple=16),
    "safety_tolerance": Spec("int", 0, 5),
    "output_format": Spec("enum", choices=("jpeg", "png")),
    "prompt_upsampling": Spec("bool"),
    "webhook_url": Spec("string"),
    "webhook_secret": Spec("string"),
}
# Expand and fill (providers.md 4b): the input as base64 `image`; expand's four sides
# 0-2048; fill's `mask` an image of the input's own size. Kept apart from the FLUX
# bodies above: their checks and result sizes are their own.
_TOOL_COMMON = {
    "prompt": Spec("string"),
    "image": Spec("string", 1, required=True),
    "steps": Spec("int", 15, 50),
    "guidance": Spec("number", 1.5, 100),
    "prompt_upsampling": Spec("bool"),
    "seed": Spec("int", 0, SEED_MAX),
    "safety_tolerance": Spec("int", 0, 6),
    "output_format": Spec("enum", choices=("jpeg", "png")),
    "webhook_url": Spec("string", 1, 2083),
    "webhook_secret": Spec("string"),
}
TOOL_BODIES: dict[str, dict[str, Spec]] = {
    "flux-pro-1.0-expand": {**_TOOL_COMMON, **{
        side: Spec("int", 0, 2048) for side in ("top", "bottom", "left", "right")}},
    "flux-pro-1.0-fill": {**_TOOL_COMMON, "mask": Spec("string", 1)},
}


def _decoded(value: Any) -> Image.Image | None:
    """A base64 field as an image, or None when it is not one."""
    try:
        image = Image.open(io.BytesIO(base64.b64decode(str(value), validate=True)))
        image.load()
    except (binascii.Error, ValueError, OSError):
        return None
    return image


def tool_problems(model: str, body: dict[str, Any]) -> list[str]:
    """What expand and fill refuse beyond the field specs: an image that is not one, a
    mask that is not one, not of the image's size, or with an alpha channel."""
    image = _decoded(body.get("image"))
    if image is None:
        return [f"{model} body.image: not a base64 image"]
    if model.endswith("fill") and "mask" in body:
        mask = _decoded(body["mask"])
        if mask is None:
            return [f"{model} body.mask: not a base64 image"]
        if mask.size != image.size:
            return [f"{model} body.mask: {mask.size[0]}x{mask.size[1]} is not the image's "
                    f"size {image.size[0]}x{image.size[1]}"]
        if "A" in mask.getbands():
            return [f"{model} body.mask: has an alpha channel"]
    return []


def tool_size(model: str, body: dict[str, Any]) -> tuple[int, int]:
    """The size of an expand's result (the input plus its sides) or a fill's (the input's)."""
    image = _decoded(body["image"])
    assert image is not None
    width, height = image.size
    if model.endswith("expand"):
        width += body.get("left", 0) + body.get("right", 0)
        height += body.get("top", 0) + body.get("bottom", 0)
    return width, height


def mask_of(body: dict[str, Any]) -> Image.Image:
    """A recorded fill body's mask, decoded (for the tests' asserts)."""
    mask = _decoded(body["mask"])
    assert mask is not None
    return mask


@dataclass(slots=True)
class Task:
    id: str
    model: str
    body: dict[str, Any]
    polls: int = 0
    status: str = "Pending"
    data: bytes = b""
    ext: str = "jpeg"


class BflStandIn(StandIn):
    key_header = "x-key"
    generation_path = "/v1/flux"
    fault_routes = {"expired_download": "download", "redirect": "download",
                    "poll_error": "poll", "task_error": "poll"}

    def __init__(self, api_key: str, *, polls_to_complete: int = 2, credits: float = 120.5,
                 **options: Any) -> None:
        super().__init__(api_key, **options)
        self.polls_to_complete = polls_to_complete
        self.credits = credits
        self.tasks: dict[str, Task] = {}

    def add_routes(self, app: web.Application) -> None:
        for model in (*BODIES, *TOOL_BODIES):
            app.router.add_post(f"/v1/{model}", self._submit)
        app.router.add_post("/v1/flux-2-pro", self._submit_flux_2)
        app.router.add_get(POLL_PATH, self._poll)
        app.router.add_get("/v1/get_result", self._rebuilt_poll)
        app.router.add_get("/v1/credits", self._credits)
        app.router.add_get("/delivery/{name}", self._delivery)

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.record(request, json=body)
        if (refused := self._auth(request)) is not None:
            return refused
        model = request.path.removeprefix("/v1/")
        if model in TOOL_BODIES:
            problems = check_object(body, TOOL_BODIES[model], f"{model} body")
            if not problems:
                problems = tool_problems(model, body)
        else:
            problems = check_object(body, BODIES[model], f"{model} body")
        image = body.get("image_prompt") if isinstance(body, dict) else None
        if isinstance(image, str):
            try:
                base64.b64decode(image, validate=True)
            except (binascii.Error, ValueError):
                problems.append(f"{model} body.image_prompt: not base64")
        if problems:
            self.violate(problems)
            return web.json_response(
                {"detail": [{"loc": ["body"], "msg": p, "type": "value_error"} for p in problems]},
                status=422,
            )
        fault = self.take_fault()
        if fault is not None:
            return await self._fault(fault, request, self._create(model, body))
        task = self._create(model, body)
        return web.json_response(self._submitted(task))

    # -- FLUX.2 [pro] -------------------------------------------------------------------

    async def _submit_flux_2(self, request: web.Request) -> web.StreamResponse:
        """POST /v1/flux-2-pro: validated strictly; answers with the task's cost."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.record(request, json=body)
        if (refused := self._auth(request)) is not None:
            return refused
        problems = flux_2_problems(body)
        if problems:
            self.violate(problems)
            return web.json_response(
                {"detail": [{"loc": ["body"], "msg": p, "type": "value_error"} for p in problems]},
                status=422,
            )
        fault = self.take_fault()
        task = self._create("flux-2-pro", {"width": 1024, "height": 1024, **body})
        if fault is not None:
            return await self._fault(fault, request, task)
        width, height = task.body["width"], task.body["height"]
        references = sum(1 for name in body if name.startswith("input_image"))
        output_mp = math.ceil(width * height / 1e6)
        # BFL's price of pro: 3 credits the first megapixel, 1.5 each further one, in or
        # out (each reference counted as one here: the stand-in does not fetch them).
        cost = 3 + 1.5 * (output_mp - 1) + 1.5 * references
        return web.json_response({**self._submitted(task), "cost": cost,
                                  "input_mp": float(references),
                                  "output_mp": round(width * height / 1e6, 2)})

    def flux_2_bodies(self) -> list[dict[str, Any]]:
        """The bodies of every FLUX.2 [pro] submit, in order."""
        return [r.json for r in self.recorded("/v1/flux-2-pro", "POST")
                if isinstance(r.json, dict)]

    def _create(self, model: str, body: dict[str, Any]) -> Task:
        fmt = body.get("output_format", "jpeg")
        size = (tool_size(model, body) if model in TOOL_BODIES
                else (body.get("width", 1024), body.get("height", 768)))
        task = Task(str(uuid.uuid4()), model, body, ext=fmt,
                    data=self.result_image(size[0], size[1], fmt, len(self.tasks)))
        self.tasks[task.id] = task
        return task

    def _submitted(self, task: Task) -> dict[str, Any]:
        return {"id": task.id, "polling_url": f"{self.base_url}{POLL_PATH}?id={task.id}"}

    async def _fault(self, fault: Fault, request: web.Request, task: Task) -> web.StreamResponse:
        kind, params = fault.kind, fault.params
        if kind == "unauthorized":
            return web.json_response(
                {"detail": "Not authenticated - Invalid Authentication"}, status=403
            )
        if kind == "no_credit":
            return web.json_response({"detail": "Insufficient credits"}, status=402)
        if kind == "rate_limit":
            return web.json_response(
                {"detail": "You have exceeded the number of active tasks (24)"}, status=429,
                headers={"Retry-After": str(params.get("retry_after", "1"))},
            )
        if kind == "server_error":
            return web.json_response({"detail": "Internal Server Error"},
                                     status=params.get("status", 500))
        if kind == "hang":
            await self.hang(fault)
            return web.json_response({"detail": "Gateway timeout"}, status=504)
        if kind == "malformed":
            return web.json_response({"id": task.id})
        if kind == "html":
            return web.Response(text="<html><body>Service maintenance</body></html>",
                                content_type="text/html")
        if kind == "deep_json":
            return web.Response(text="[" * 100_000 + "]" * 100_000,
                                content_type="application/json")
        if kind == "trickle":
            answer = web.StreamResponse(headers={"Content-Type": "application/json"})
            await answer.prepare(request)
            for byte in json.dumps(self._submitted(task)).encode():
                await answer.write(bytes([byte]))
                await asyncio.sleep(params.get("seconds", 0.2))
            await answer.write_eof()
            return answer
        raise AssertionError(f"unknown fault {kind!r}")

    async def _poll(self, request: web.Request) -> web.Response:
        self.record(request)
        if (refused := self._auth(request)) is not None:
            return refused
        task = self.tasks.get(request.query.get("id", ""))
        if task is None:
            return web.json_response({"id": request.query.get("id"), "status": "Task not found",
                                      "result": None, "progress": None})
        fault = self.take_fault("poll")
        if fault is not None and fault.kind == "poll_error":
            return web.json_response({"detail": "Internal Server Error"},
                                     status=fault.params.get("status", 500))
        if fault is not None and fault.kind == "task_error":
            task.status = "Error"
        task.polls += 1
        if task.status == "Pending" and task.polls >= self.polls_to_complete:
            prompt = str(task.body.get("prompt", "")).lower()
            task.status = ("Request Moderated" if "forbidden" in prompt
                           else "Content Moderated" if "flagged" in prompt else "Ready")
        result = None
        if task.status == "Ready":
            result = {"sample": f"{self.base_url}/delivery/{task.id}.{task.ext}",
                      "prompt": task.body["prompt"], "seed": task.body.get("seed")}
        return web.json_response({"id": task.id, "status": task.status, "result": result,
                                  "progress": 1.0 if task.status != "Pending" else 0.5})

    async def _rebuilt_poll(self, request: web.Request) -> web.Response:
        self.record(request)
        self.violate(["polled /v1/get_result instead of the polling_url it was given"])
        return web.json_response({"detail": "Not Found"}, status=404)

    async def _credits(self, request: web.Request) -> web.Response:
        self.record(request)
        if (refused := self._auth(request)) is not None:
            return refused
        return web.json_response({"credits": self.credits})

    async def _delivery(self, request: web.Request) -> web.Response:
        self.record(request)
        if self.key_header in {k.lower() for k in request.headers}:
            self.violate(["the API key was sent to the delivery URL"])
        name = request.match_info["name"]
        task = self.tasks.get(name.rsplit(".", 1)[0])
        fault = self.take_fault("download")
        if fault is not None and fault.kind == "redirect" and task is not None:
            raise web.HTTPFound(fault.params["location"].format(task=task.id))
        if task is None or task.status != "Ready" or fault is not None:
            return web.Response(status=403, text="Request has expired")
        return web.Response(body=task.data, content_type=CONTENT_TYPES[task.ext])

    def _auth(self, request: web.Request) -> web.Response | None:
        if not self.key_valid(request):
            return web.json_response(
                {"detail": "Not authenticated - Invalid Authentication"}, status=403
            )
        return None


def flux_2_problems(body: Any) -> list[str]:
    """Every way `body` breaks BFL's FLUX.2 [pro] inputs: an unknown field (a 9th
    reference among them), a value out of range, a size over 4 MP, a reference that is
    neither a URL nor base64."""
    problems = check_object(body, FLUX_2_PRO, "flux-2-pro body")
    if not isinstance(body, dict):
        return problems
    extra = [n for n in body if n.startswith("input_image") and n not in FLUX_2_PRO]
    if extra:
        problems.append(f"flux-2-pro body: at most {FLUX_2_REFERENCES} reference images "
                        f"(input_image ... input_image_{FLUX_2_REFERENCES}), got {extra[0]}")
    width, height = body.get("width"), body.get("height")
    if isinstance(width, int) and isinstance(height, int) and width * height > FLUX_2_MAX_PIXELS:
        problems.append(f"flux-2-pro body: {width}x{height} is over 4 megapixels")
    for name, value in body.items():
        if not name.startswith("input_image") or not isinstance(value, str):
            continue
        if value.startswith(("https://", "http://")):
            continue
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            problems.append(f"flux-2-pro body.{name}: neither a URL nor base64")
    return problems
