"""Image-sized buffers: reused from the heap while jobs run, given back once idle."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

from bot import memory

glibc_only = pytest.mark.skipif(memory._glibc() is None, reason="glibc's allocator only")


def _run(body: str) -> str:
    """Runs `body` in a fresh interpreter (allocator settings are process-wide)."""
    script = textwrap.dedent("""
        import os, resource
        from bot import memory

        def faults():
            return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

        def rss_mb():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

        pieces = [os.urandom(64 * 1024) for _ in range(16)]  # a download, as received
    """) + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip()


@glibc_only
def test_a_freed_image_buffer_serves_the_next_without_faulting_its_pages_in() -> None:
    # A burst holds a dozen images at once; each job joins its download into one buffer.
    # Mapped on its own, every megabyte costs 256 page faults (and their zeroing) again.
    out = _run("""
        assert memory.reuse_image_buffers()
        held = []
        for _ in range(50):  # the first buffers grow the heap
            held.append(b"".join(pieces)); held = held[-12:]
        before = faults()
        for _ in range(200):
            held.append(b"".join(pieces)); held = held[-12:]
        print((faults() - before) / 200)
    """)
    assert float(out) < 16, f"{out} page faults per 1 MB image"


@glibc_only
def test_the_heap_gives_a_burst_back_once_its_images_are_freed() -> None:
    out = _run("""
        memory.reuse_image_buffers()
        base = rss_mb()
        held = [b"".join(pieces) + bytes([i]) for i in range(96)]
        peak = rss_mb()
        del held
        kept = rss_mb()
        memory.give_back()
        print(peak - base, kept - base, rss_mb() - base)
    """)
    peak, kept, after = map(float, out.split())
    assert peak > 90
    assert kept > 80, "freed images stay in the heap for the next jobs"
    assert after < 16, f"{after:.0f} MB still held after the give-back"


@glibc_only
def test_the_images_of_worker_threads_are_given_back_too() -> None:
    # Re-encoding, signing and sheets run in threads, whose own arenas glibc's trim
    # would not shrink: they share the main heap instead.
    out = _run("""
        from concurrent.futures import ThreadPoolExecutor
        memory.reuse_image_buffers()
        base = rss_mb()

        def work(i):
            held = [b"".join(pieces) + bytes([i, j]) for j in range(8)]
            return len(held)

        with ThreadPoolExecutor(6) as pool:
            assert sum(pool.map(work, range(48))) == 8 * 48
        kept = rss_mb()
        memory.give_back()
        print(kept - base, rss_mb() - base)
    """)
    kept, after = map(float, out.split())
    assert kept > 8
    assert after < 16, f"{after:.0f} MB still held after the give-back"


async def test_memory_is_given_back_whenever_no_result_is_held(
        monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[int] = []
    held = [3]
    monkeypatch.setattr(memory, "give_back", lambda: given.append(held[0]))
    task = asyncio.create_task(memory.give_back_when_idle(lambda: held[0], every=0.01))
    try:
        await asyncio.sleep(0.05)
        assert given == []  # results held: the burst goes on, its buffers are kept
        held[0] = 0
        await asyncio.sleep(0.05)
        assert given and set(given) == {0}
    finally:
        task.cancel()


def test_the_collector_sets_aside_what_the_ready_process_holds_and_frees_it_once_dropped(
) -> None:
    out = _run("""
        import asyncio, gc, weakref

        class Node:
            pass

        def cycle():
            a, b = Node(), Node()
            a.other, b.other = b, a
            return a

        garbage = weakref.ref(cycle())  # dropped before the bot is ready
        kept = cycle()  # held for good, as a server's cache is
        dropped_later = weakref.ref(kept)

        async def main():
            ready = asyncio.Event()
            task = asyncio.create_task(memory.settle_collector_when(ready, every=0.05))
            await asyncio.sleep(0.02)
            before = gc.get_freeze_count()
            ready.set()
            await asyncio.sleep(0.01)
            settled = gc.get_freeze_count()
            global kept
            kept = None  # the server is left: its cycle is garbage, but set aside
            gc.collect()
            alive_after_collect = dropped_later() is not None
            await asyncio.sleep(0.08)  # the next settling hands it back to the collector
            task.cancel()
            print(before, settled > 0, garbage() is None, alive_after_collect,
                  dropped_later() is None, gc.get_threshold()[0])

        asyncio.run(main())
    """)
    before, settled, garbage_freed, set_aside, freed_later, young = out.split()
    assert before == "0"  # nothing is set aside until the process is ready
    assert settled == "True"
    assert garbage_freed == "True"  # what was garbage at the time is not kept for good
    assert set_aside == "True"  # a frozen object is not walked by a collection...
    assert freed_later == "True"  # ...until the next settling
    assert int(young) == memory.YOUNG_OBJECTS
