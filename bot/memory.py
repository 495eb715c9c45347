"""The process's memory: image-sized buffers reused while jobs run and given back after;
the cycle collector kept off what the bot holds for good.

Every job holds its image a few times over for a moment (the download, the upload), a
megabyte or more each. glibc gives blocks that large their own mapping at first, whose
every page the kernel must fault in and zero on first touch (256 a megabyte), and unmaps
them when freed: about 200 page faults per job, paid again by every job. Kept in the heap
instead (`reuse_image_buffers`), a freed image's memory serves the next one at no cost.

The heap would then keep the burst's high-water mark for good, so `give_back_when_idle`
hands the free pages back to the system once no result is held (`malloc_trim`, which
releases free pages anywhere in the heap, not only at its top). MAX_IMAGES_IN_FLIGHT
bounds the high-water mark meanwhile. Threads (re-encoding, signing, contact sheets)
allocate from the same heap: glibc would give each its own arena, whose free top
`malloc_trim` leaves in place and which a trim threshold this high never shrinks.

Where the C library is not glibc, nothing is tuned: the allocator's own defaults hold.

Python's cycle collector is tuned too, once the bot is ready (`settle_collector`). By then
the process holds everything it keeps for good (modules, discord.py's caches of servers
and channels, the catalogue), and each full collection would walk all of it again: 45 to
60 ms in a burst of the benchmark, 170 ms in 10,000 servers. Set aside (`gc.freeze`),
those objects are no longer walked, and a full collection in 10,000 servers takes a tenth
of a millisecond. The youngest generation is collected after 10,000 new objects instead
of 700: a job's short-lived objects are freed by their reference counts long before, so
collecting that often only walks the jobs in flight again and again. An object set aside
is never collected, so what the bot drops for good later (a server it left, with its
channels) is handed back to the collector once a day (`RESETTLE_SECONDS`), at the cost of
one full collection.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

# mallopt's parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

# Buffers up to this size come from the heap (every image a provider sends); larger ones
# are still mapped on their own. A fixed threshold also stops glibc from moving it.
HEAP_UP_TO = 32 * 1024 * 1024
# Freed memory at the heap's top is kept up to this much (until the next give-back)
# instead of being trimmed, and faulted in again, after each job.
KEEP_AT_TOP = 256 * 1024 * 1024
# How often the process looks for an idle moment to give memory back.
GIVE_BACK_SECONDS = 30.0
# New objects (less those freed) between two collections of the youngest generation.
YOUNG_OBJECTS = 10_000
# How often the objects set aside are collected once and set aside again.
RESETTLE_SECONDS = 24 * 3600.0


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - only glibc has it
    except (OSError, AttributeError):
        return None
    return libc


def reuse_image_buffers() -> bool:
    """Keeps image-sized buffers in one heap, where freed ones are reused; False where
    the allocator is not glibc's or refuses the settings (its defaults then hold). Call
    it before any thread starts."""
    libc = _glibc()
    if libc is None:
        return False
    # One arena first: with the mapping threshold raised, buffers freed in a thread's
    # own arena could never be given back.
    if not libc.mallopt(_M_ARENA_MAX, 1):
        log.warning("the C library refused one heap for all threads; image buffers are "
                    "mapped each on its own")
        return False
    if not (libc.mallopt(_M_MMAP_THRESHOLD, HEAP_UP_TO)
            and libc.mallopt(_M_TRIM_THRESHOLD, KEEP_AT_TOP)):
        log.warning("the C library refused to keep image buffers in the heap")
        return False
    return True


def give_back() -> None:
    """Returns the heap's free pages to the system."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


async def give_back_when_idle(held: Callable[[], int],
                              every: float = GIVE_BACK_SECONDS) -> None:
    """Every `every` s, gives the heap's free pages back unless image results are `held`
    now (a burst goes on: its buffers are kept for its next jobs). A give-back with
    nothing to return costs tens of microseconds. Runs until cancelled."""
    while True:
        await asyncio.sleep(every)
        if not held():
            give_back()


def settle_collector() -> None:
    """Collects everything once (what was set aside before included), then keeps every
    object alive now out of the cycle collector's walks and lets the youngest generation
    grow to `YOUNG_OBJECTS` between collections."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, middle, oldest)


async def settle_collector_when(ready: asyncio.Event,
                                every: float = RESETTLE_SECONDS) -> None:
    """`settle_collector` once `ready` is set (the process holds what it keeps), then
    every `every` s. Runs until cancelled."""
    await ready.wait()
    while True:
        settle_collector()
        await asyncio.sleep(every)
