"""Per-job figures, read from the stand-ins' own records after a run.

For each job (one /imagine interaction):

- ack: dispatch of INTERACTION_CREATE -> the first interaction callback reaching the
  Discord stand-in;
- e2e: dispatch -> the public image message stored in the Discord stand-in;
- provider: the provider stand-ins' own time on the job's requests (each from its
  handler starting, request headers read, to its answer ready), plus, for apiframe, the
  poll intervals the client was told to wait between polls;
- upload: the Discord stand-in's time on the multipart upload of the image (its webhook
  handler starting -> the message stored);
- overhead = e2e - provider - upload: everything the client itself adds, its waits on
  its own queues and event loop included.

A job's provider requests are found by its prompt, which is unique per job: in the
generation request bodies, in apiframe's jobs (polls and CDN downloads name the job),
and for 1min.ai's downloads through the order of its result keys.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bench.world import JobSpec, World
from tests.support.standins.providers import Recorded

_ONEMIN_SERIAL = re.compile(r"_(\d+)\.\w+$")


@dataclass(frozen=True, slots=True)
class JobTiming:
    """One job's figures, in seconds."""

    index: int
    model: str
    ack: float
    e2e: float
    provider: float
    upload: float
    provider_requests: int
    stored_at: float  # time.monotonic() of the stored result
    dispatched_at: float

    @property
    def overhead(self) -> float:
        return self.e2e - self.provider - self.upload


def _span(entry: Recorded) -> float:
    return max(0.0, entry.finished - entry.started)


def provider_times(world: World, poll_interval: float) -> dict[str, tuple[float, int]]:
    """prompt -> (the providers' seconds on that job, how many provider requests)."""
    seconds: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)

    def add(prompt: str | None, amount: float) -> None:
        if prompt is not None:
            seconds[prompt] += amount
            counts[prompt] += 1

    providers = world.providers
    for entry in providers.segmind.recorded("/v1/flux-1.1-pro", "POST"):
        add((entry.json or {}).get("prompt"), _span(entry))

    # 1min.ai: the n-th generation answered is result serial n (see its stand-in).
    onemin = providers.onemin
    by_serial: dict[int, str] = {}
    for serial, entry in enumerate(onemin.recorded("/api/features", "POST"), start=1):
        prompt = ((entry.json or {}).get("promptObject") or {}).get("prompt")
        by_serial[serial] = prompt
        add(prompt, _span(entry))
    for entry in onemin.recorded("/s3/", "GET"):
        found = _ONEMIN_SERIAL.search(entry.path)
        add(by_serial.get(int(found[1])) if found else None, _span(entry))

    apiframe = providers.apiframe
    for entry in apiframe.recorded("/v2/images/generate", "POST"):
        add((entry.json or {}).get("prompt"), _span(entry))
    for entry in apiframe.requests:
        job_id = None
        if entry.path.startswith("/v2/jobs/"):
            job_id = entry.path.removeprefix("/v2/jobs/")
        elif entry.path.startswith("/cdn/results/"):
            job_id = entry.path.removeprefix("/cdn/results/").rsplit("-", 1)[0]
        job = apiframe.jobs.get(job_id) if job_id else None
        if job is not None:
            waited = poll_interval if entry.path.startswith("/v2/jobs/") else 0.0
            add(job.body.get("prompt"), _span(entry) + waited)
    return {prompt: (seconds[prompt], counts[prompt]) for prompt in seconds}


def job_timings(
    world: World, jobs: Sequence[JobSpec], interaction_ids: Sequence[int], poll_interval: float
) -> list[JobTiming]:
    """The figures of every job that posted its image (in job order)."""
    interactions = {ix.id: ix for ix in world.discord.interactions}
    providers = provider_times(world, poll_interval)
    found = []
    for job, interaction_id in zip(jobs, interaction_ids, strict=True):
        ix = interactions[interaction_id]
        stored_at = world.watch.stored.get(interaction_id)
        if stored_at is None or ix.ack_latency is None:
            continue
        e2e = stored_at - ix.dispatched_at
        # The upload: the last webhook POST that arrived before the message was stored.
        uploads = [t for t, what in ix.timeline if what == "followup" and t <= e2e]
        upload = e2e - uploads[-1] if uploads else 0.0
        provider, requests = providers.get(job.prompt, (0.0, 0))
        found.append(JobTiming(
            index=job.index, model=job.model, ack=ix.ack_latency, e2e=e2e, provider=provider,
            upload=upload, provider_requests=requests, stored_at=stored_at,
            dispatched_at=ix.dispatched_at,
        ))
    return found
