"""An apiframe.ai v2 stand-in: submit (202), job status, job list and the CDN, following
shared/seeds/003 and providers.md section 2.

Jobs move QUEUED -> PROCESSING -> COMPLETED over `polls_to_complete` polls; `result` is a
string URL or `{"images": [...]}` (`result_shape`). The same `Idempotency-Key` gives the
same job; `submits_per_key` counts the submits each key made.

Faults (`inject(kind, times=1, **params)`), on submit:
- "unauthorized" (401; the body echoes the key), "inactive" (403),
  "no_credit" (402), "rate_limit" (429, `retry_after=`), "server_error" (`status=`),
  "hang" (`seconds=`), "malformed" (202 without jobId), "lost_answer" (the job is
  made, the answer is a 502), "stuck" (the job never finishes), "job_failed" (the job
  ends FAILED with a non-policy error);
on a poll: "poll_error" (`status=`, default 500); on the job list (the health check's
call): "hang_list" (`seconds=`);
on the CDN: "expired_download" (403), "slow_download" (the file after `seconds=`).
A prompt containing "forbidden" ends FAILED with a content-policy error.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.standins.images import CONTENT_TYPES, EXTENSIONS, ratio_dimensions
from tests.support.standins.providers import Fault, Spec, StandIn, check_object

BODY = {
    "prompt": Spec("string", 1, 2000, required=True),
    "model": Spec("enum", choices=("flux-1.1-pro",), required=True),
    "webhookUrl": Spec("string"),
    "webhookEvents": Spec("list"),
    "fluxParams": Spec("object"),
}
FLUX_PARAMS = {
    "aspect_ratio": Spec("string"),
    "output_format": Spec("enum", choices=("jpg", "png", "webp")),
    "output_quality": Spec("int", 0, 100),
    "seed": Spec("int", 0),
    "width": Spec("int", 256, 1440),
    "height": Spec("int", 256, 1440),
    "image_prompt": Spec("string"),
    "prompt_upsampling": Spec("bool"),
}
_RATIO = re.compile(r"^(custom|[1-9]\d*:[1-9]\d*)$")
POLICY_ERROR = "Provider returned an error: content policy violation"


@dataclass(slots=True)
class Job:
    id: str
    body: dict[str, Any]
    key: str | None
    polls: int = 0
    stuck: bool = False
    failure: str | None = None
    data: bytes = b""
    ext: str = "webp"
    history: list[str] = field(default_factory=list)


class ApiframeStandIn(StandIn):
    key_header = "x-api-key"
    generation_path = "/v2/images/generate"
    fault_routes = {"expired_download": "download", "slow_download": "download",
                    "poll_error": "poll", "hang_list": "list"}

    def __init__(self, api_key: str, *, polls_to_complete: int = 3,
                 result_shape: str = "images", **options: Any) -> None:
        super().__init__(api_key, **options)
        self.polls_to_complete = polls_to_complete
        self.result_shape = result_shape
        self.jobs: dict[str, Job] = {}
        self.jobs_by_key: dict[str, Job] = {}
        self.submits_per_key: Counter[str] = Counter()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/images/generate", self._submit)
        app.router.add_get("/v2/jobs", self._list)
        app.router.add_get("/v2/jobs/{job_id}", self._job)
        app.router.add_get("/cdn/results/{name}", self._cdn)

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.record(request, json=body)
        if (refused := self._auth(request)) is not None:
            return refused
        problems = self._problems(body)
        if problems:
            self.violate(problems)
            return web.json_response({"error": "Validation failed", "details": problems},
                                     status=400)
        key = request.headers.get("Idempotency-Key")
        if key:
            self.submits_per_key[key] += 1
        fault = self.take_fault()
        if fault is not None and (answer := await self._fault(fault)) is not None:
            return answer
        if key and key in self.jobs_by_key:
            job = self.jobs_by_key[key]
            if job.body != body:
                self.violate([f"Idempotency-Key {key} reused for a different body"])
                return web.json_response({"error": "Idempotency key reused"}, status=422)
        else:
            job = self._create(body, key)
            if fault is not None and fault.kind == "stuck":
                job.stuck = True
            if fault is not None and fault.kind == "job_failed":
                job.failure = "Provider returned an error: upstream service unavailable"
        if fault is not None and fault.kind == "lost_answer":
            return web.Response(status=502, text="<html><h1>502 Bad Gateway</h1></html>",
                                content_type="text/html")
        return web.json_response({"jobId": job.id, "status": "QUEUED"}, status=202)

    def _problems(self, body: Any) -> list[str]:
        problems = check_object(body, BODY, "body")
        if problems:
            return problems
        params = body.get("fluxParams", {})
        problems = check_object(params, FLUX_PARAMS, "fluxParams")
        ratio = params.get("aspect_ratio")
        if isinstance(ratio, str) and not _RATIO.match(ratio):
            problems.append(f"fluxParams.aspect_ratio: {ratio!r} is not W:H or custom")
        if ("width" in params or "height" in params) and ratio != "custom":
            problems.append("fluxParams.width/height: only with aspect_ratio custom")
        image = params.get("image_prompt")
        if isinstance(image, str) and not image.startswith(("http://", "https://")):
            problems.append("fluxParams.image_prompt: must be an image URL")
        return problems

    def _create(self, body: dict[str, Any], key: str | None) -> Job:
        params = body.get("fluxParams", {})
        fmt = params.get("output_format", "webp")
        ratio = params.get("aspect_ratio", "1:1")
        if ratio == "custom":
            size = (params.get("width", 1024), params.get("height", 1024))
        else:
            size = ratio_dimensions(ratio)
        job = Job(str(uuid.uuid4()), body, key, ext=EXTENSIONS[fmt],
                  data=self.result_image(size[0], size[1], fmt, len(self.jobs)))
        if "forbidden" in body["prompt"].lower():
            job.failure = POLICY_ERROR
        self.jobs[job.id] = job
        if key:
            self.jobs_by_key[key] = job
        return job

    async def _fault(self, fault: Fault) -> web.StreamResponse | None:
        kind, params = fault.kind, fault.params
        if kind == "unauthorized":
            return web.json_response({"error": f"Invalid API key {self.api_key}"}, status=401)
        if kind == "inactive":
            return web.json_response({"error": "API key is inactive"}, status=403)
        if kind == "no_credit":
            return web.json_response(
                {"error": "Insufficient credits", "balance": 0, "required": 6}, status=402
            )
        if kind == "rate_limit":
            return web.json_response(
                {"error": "Too many requests"}, status=429,
                headers={"Retry-After": str(params.get("retry_after", "1"))},
            )
        if kind == "server_error":
            return web.json_response({"error": "Internal server error"},
                                     status=params.get("status", 500))
        if kind == "hang":
            await self.hang(fault)
            return web.json_response({"error": "Gateway timeout"}, status=504)
        if kind == "malformed":
            return web.json_response({"status": "QUEUED"}, status=202)
        if kind in ("lost_answer", "stuck", "job_failed"):
            return None
        raise AssertionError(f"unknown fault {kind!r}")

    async def _job(self, request: web.Request) -> web.Response:
        self.record(request)
        if (refused := self._auth(request)) is not None:
            return refused
        job = self.jobs.get(request.match_info["job_id"])
        if job is None:
            self.violate([f"poll of unknown job {request.match_info['job_id']}"])
            return web.json_response({"error": "Job not found"}, status=404)
        fault = self.take_fault("poll")
        if fault is not None:
            return web.json_response({"error": "Internal server error"},
                                     status=fault.params.get("status", 500))
        job.polls += 1
        answer = self._describe(job)
        job.history.append(answer["status"])
        return web.json_response(answer)

    def _describe(self, job: Job) -> dict[str, Any]:
        done = job.polls >= self.polls_to_complete and not job.stuck
        status = "QUEUED" if job.polls <= 1 and not done else "PROCESSING"
        result: Any = None
        if done:
            status = "FAILED" if job.failure else "COMPLETED"
        if status == "COMPLETED":
            url = f"{self.base_url}/cdn/results/{job.id}-1.{job.ext}"
            result = url if self.result_shape == "string" else {"images": [url]}
        return {
            "id": job.id, "status": status, "model": "flux-1.1-pro",
            "progress": 100 if done else min(90, 30 * job.polls),
            "result": result, "error": job.failure if status == "FAILED" else None,
            "creditCost": 6 if status == "COMPLETED" else 0, "webhookStatus": None,
            "createdAt": "2026-01-01T00:00:00Z",
            "completedAt": "2026-01-01T00:00:12Z" if done else None,
        }

    async def _list(self, request: web.Request) -> web.Response:
        self.record(request)
        fault = self.take_fault("list")
        if fault is not None and fault.kind == "hang_list":
            await self.hang(fault)
        if (refused := self._auth(request)) is not None:
            return refused
        limit = request.query.get("limit", "20")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            self.violate([f"jobs list: limit {limit!r} not 1-100"])
            return web.json_response({"error": "Validation failed"}, status=400)
        jobs = [self._describe(j) for j in list(self.jobs.values())[: int(limit)]]
        return web.json_response({"data": jobs, "nextCursor": None})

    async def _cdn(self, request: web.Request) -> web.Response:
        self.record(request)
        name = request.match_info["name"]
        job = self.jobs.get(name.rsplit("-", 1)[0])
        fault = self.take_fault("download") if job is not None else None
        if fault is not None and fault.kind == "slow_download":
            await self.hang(fault)
        elif job is None or fault is not None:
            return web.Response(status=403, text="Forbidden")
        return web.Response(body=job.data, content_type=CONTENT_TYPES[job.ext])

    def _auth(self, request: web.Request) -> web.Response | None:
        given = request.headers.get("X-API-Key")
        if not given:
            return web.json_response({"error": "API key is required"}, status=401)
        if given != self.api_key:
            return web.json_response({"error": "Invalid API key"}, status=401)
        return None
