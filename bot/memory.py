"""The process's memory for image-sized buffers: reused while jobs run, given back after.

Every job holds its image a few times over for a moment (the download, the upload), a
megabyte or more each. glibc gives blocks that large their own mapping at first, whose
every page the kernel must fault in and zero on first touch, and unmaps them when freed:
about a millisecond of CPU per megabyte, paid again by every job. Kept in the heap
instead (`reuse_image_buffers`), a freed image's memory serves the next one at no cost.

The heap would then keep the burst's high-water mark for good, so `give_back_when_idle`
hands the free pages back to the system once no result is held (`malloc_trim`, which
releases free pages anywhere in every arena, not only at the heap's top). MAX_IMAGES_IN_
FLIGHT bounds the high-water mark meanwhile.

Where the C library is not glibc, nothing is tuned: the allocator's own defaults hold.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

# mallopt's parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

# Buffers up to this size come from the heap (every image a provider sends); larger ones
# are still mapped on their own. A fixed threshold also stops glibc from moving it.
HEAP_UP_TO = 32 * 1024 * 1024
# Freed memory at the heap's top is kept up to this much (until the next give-back)
# instead of being trimmed, and faulted in again, after each job.
KEEP_AT_TOP = 256 * 1024 * 1024
# How often the process looks for an idle moment to give memory back.
GIVE_BACK_SECONDS = 30.0


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - only glibc has it
    except (OSError, AttributeError):
        return None
    return libc


def reuse_image_buffers() -> bool:
    """Keeps image-sized buffers in the heap, where freed ones are reused; False where
    the allocator is not glibc's (nothing changed)."""
    libc = _glibc()
    if libc is None:
        return False
    libc.mallopt(_M_MMAP_THRESHOLD, HEAP_UP_TO)
    libc.mallopt(_M_TRIM_THRESHOLD, KEEP_AT_TOP)
    return True


def give_back() -> None:
    """Returns the heap's free pages to the system."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


async def give_back_when_idle(held: Callable[[], int], taken: Callable[[], int],
                              every: float = GIVE_BACK_SECONDS) -> None:
    """Every `every` s, gives the free pages back when no result is `held` now and one
    was `taken` (a count that only grows) since the last give-back: a quiet bot makes no
    call at all. Runs until cancelled."""
    given_at = taken()
    while True:
        await asyncio.sleep(every)
        now = taken()
        if now != given_at and not held():
            given_at = now
            give_back()
            log.debug("gave the heap's free pages back after %d results", now)
