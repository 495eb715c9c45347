"""The threads that image work runs in (decoding, re-encoding, thumbnails, contact sheets,
charts, provenance), apart from asyncio's default pool.

asyncio's default pool also resolves host names for every new connection (aiohttp's
resolver), to the providers and to Discord: image work queued there would hold up each of
them for as long as it takes. Here it waits for one of its own few threads instead, which
also bounds how many pictures are decoded in memory at once, whoever asked for them.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

IMAGE_THREADS = 2

_images = ThreadPoolExecutor(max_workers=IMAGE_THREADS, thread_name_prefix="fluxcord-images")


async def in_image_thread(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` in one of the image threads, as `asyncio.to_thread` runs it
    in the default pool (with the caller's context, so its log lines keep their tags)."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_images, call)
