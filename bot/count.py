"""A job of several images (`/imagine count`): one provider call per image, each with its
own seed, run together; the images that came are kept, the failures counted.

The results share one bundle of MAX_IMAGES_IN_FLIGHT slots (bot/providers/slots.py):
the job holds every image until the last one is in, to post them in one message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from bot.providers.base import GeneratedImage, GenerationRequest, OnSubmitted
from bot.providers.router import Router

log = logging.getLogger(__name__)

COUNT_MAX = 4


@dataclass(frozen=True, slots=True)
class CountedImages:
    """What the calls of one job gave: the images (in order) and the failures."""

    images: list[GeneratedImage]
    failures: list[BaseException]


def seeds(first: int, count: int) -> list[int]:
    """The job's own seed for its first image, a random one for each other."""
    return [first, *(secrets.randbelow(2**32) for _ in range(count - 1))]


async def generate_images(router: Router, request: GenerationRequest, count: int,
                          submitted: Callable[[int, int], OnSubmitted] | None = None,
                          ) -> CountedImages:
    """Makes `count` images of `request`, each with its own seed. Raises the first
    failure when none came; a cancel gives back the slots of those that had come.
    `submitted(index, seed)` gives what is told when image `index`'s provider accepts it."""
    requests = [
        dataclasses.replace(
            request, seed=seed, job_id=request.job_id if n == 0 else f"{request.job_id}:{n}",
            on_submitted=submitted(n, seed) if submitted is not None else None)
        for n, seed in enumerate(seeds(request.seed, count))
    ]
    with router.results.bundle(count):
        tasks = [asyncio.ensure_future(router.generate(r)) for r in requests]
        try:
            await asyncio.wait(tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for task in tasks:
                if not task.cancelled() and task.exception() is None:
                    task.result().release()
            raise
    images = [t.result() for t in tasks if t.exception() is None]
    failures = [e for t in tasks if (e := t.exception()) is not None]
    if not images:
        raise failures[0]
    if failures:
        log.info("job %s: %d of %d images failed (%s)", request.job_id, len(failures), count,
                 ", ".join(type(f).__name__ for f in failures))
    return CountedImages(images, failures)
