"""The floor: the same I/O as the bot's jobs, made by a minimal client with no bot logic.

    python -m bench.floor CONFIG.json      (started by `python -m bench`)

It connects to the gateway like a bot (HELLO, IDENTIFY, heartbeats) and, for every
INTERACTION_CREATE, does only the exchanges a job cannot do without, all through one
aiohttp session (the HTTP stack discord.py brings) without a connection limit:

1. the interaction callback (a public deferral),
2. the provider request(s): 1min.ai's generation, or apiframe's submit and polls
   (sleeping the configured poll interval before each poll, as the bot does),
3. the image download (Segmind's answer is the image itself),
4. the multipart upload of the image as a webhook followup, which fills the deferred
   response in with the image.

No option checks, credits, database, scheduling, progress edits, image decoding or
embeds. It runs until it is terminated.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp

log = logging.getLogger("bench.floor")

# Which provider serves each model (the bot's default routes: the first of each).
ONEMIN_MODELS = {
    "flux-pro": "black-forest-labs/flux-pro",
    "flux-2-pro": "black-forest-labs/flux-2-pro",
    "flux-dev": "black-forest-labs/flux-dev",
}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class Floor:
    def __init__(self, config: dict[str, Any], http: aiohttp.ClientSession) -> None:
        self.config = config
        self.http = http
        self.api = config["api_base"]
        self.keys: dict[str, str] = config["keys"]
        self.urls: dict[str, str] = config["base_urls"]
        self.failures = 0

    async def job(self, interaction: dict[str, Any]) -> None:
        try:
            await self._job(interaction)
        except Exception:
            self.failures += 1
            log.exception("floor job failed")

    async def _job(self, interaction: dict[str, Any]) -> None:
        interaction_id, token = interaction["id"], interaction["token"]
        options = {o["name"]: o["value"] for o in interaction["data"].get("options", [])}
        callback = f"{self.api}/interactions/{interaction_id}/{token}/callback"
        async with self.http.post(callback, json={"type": 5, "data": {}}) as response:
            response.raise_for_status()
        prompt, seed, model = options["prompt"], options["seed"], options["model"]
        if model in ONEMIN_MODELS:
            data, content_type = await self._onemin(ONEMIN_MODELS[model], prompt, seed)
        else:
            data, content_type = await self._apiframe(prompt, seed)
        filename = f"floor-{seed}.{EXTENSIONS.get(content_type, 'png')}"
        form = aiohttp.FormData()
        form.add_field(
            "payload_json",
            json.dumps({"attachments": [{"id": 0, "filename": filename}]}),
            content_type="application/json",
        )
        form.add_field("files[0]", data, filename=filename, content_type=content_type)
        webhook = f"{self.api}/webhooks/{interaction['application_id']}/{token}?wait=true"
        async with self.http.post(webhook, data=form) as response:
            response.raise_for_status()
            await response.read()

    async def _onemin(self, model: str, prompt: str, seed: int) -> tuple[bytes, str]:
        body = {"type": "IMAGE_GENERATOR", "model": model,
                "promptObject": {"prompt": prompt, "seed": seed}}
        async with self.http.post(f"{self.urls['onemin']}/api/features", json=body,
                                  headers={"API-KEY": self.keys["onemin"]}) as answer:
            answer.raise_for_status()
            record = (await answer.json())["aiRecord"]
        return await self._download(record["temporaryUrl"])

    async def _apiframe(self, prompt: str, seed: int) -> tuple[bytes, str]:
        base, key = self.urls["apiframe"], self.keys["apiframe"]
        body = {"prompt": prompt, "model": "flux-1.1-pro", "fluxParams": {"seed": seed}}
        headers = {"X-API-Key": key, "Idempotency-Key": uuid.uuid4().hex}
        async with self.http.post(f"{base}/v2/images/generate", json=body,
                                  headers=headers) as answer:
            answer.raise_for_status()
            job_id = (await answer.json())["jobId"]
        while True:
            await asyncio.sleep(self.config["poll_seconds"])
            async with self.http.get(f"{base}/v2/jobs/{job_id}",
                                     headers={"X-API-Key": key}) as poll:
                poll.raise_for_status()
                job = await poll.json()
            if job["status"] == "COMPLETED":
                break
            if job["status"] in ("FAILED", "CANCELLED"):
                raise RuntimeError(f"apiframe job {job['status']}")
        result = job["result"]
        return await self._download(result if isinstance(result, str) else result["images"][0])

    async def _download(self, url: str) -> tuple[bytes, str]:
        async with self.http.get(url) as answer:
            answer.raise_for_status()
            return await answer.read(), answer.content_type


async def run(config: dict[str, Any]) -> None:
    connector = aiohttp.TCPConnector(limit=0)  # as discord.py's own
    async with aiohttp.ClientSession(connector=connector) as http:
        floor = Floor(config, http)
        ws = await http.ws_connect(config["gateway_url"], max_msg_size=0)
        hello = await ws.receive_json()
        interval = hello["d"]["heartbeat_interval"] / 1000
        await ws.send_json({"op": 2, "d": {
            "token": config["token"], "intents": 1,
            "properties": {"os": "linux", "browser": "bench-floor", "device": "bench-floor"},
        }})
        sequence: list[int | None] = [None]

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(interval)
                await ws.send_json({"op": 1, "d": sequence[0]})

        beating = asyncio.create_task(heartbeat())
        jobs: set[asyncio.Task[None]] = set()
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            sequence[0] = frame.get("s") or sequence[0]
            if frame.get("t") == "INTERACTION_CREATE":
                task = asyncio.create_task(floor.job(frame["d"]))
                jobs.add(task)
                task.add_done_callback(jobs.discard)
        beating.cancel()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    config = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    asyncio.run(run(config))


if __name__ == "__main__":
    main()
