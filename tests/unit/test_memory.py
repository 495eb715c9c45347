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


async def test_memory_is_given_back_only_when_idle_after_some_results(
        monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[int] = []
    state = {"held": 0, "taken": 0}
    monkeypatch.setattr(memory, "give_back", lambda: given.append(state["taken"]))
    task = asyncio.create_task(memory.give_back_when_idle(
        lambda: state["held"], lambda: state["taken"], every=0.01))
    try:
        await asyncio.sleep(0.05)
        assert given == []  # nothing taken yet: a quiet bot makes no call
        state.update(held=3, taken=5)
        await asyncio.sleep(0.05)
        assert given == []  # results still held: the burst goes on
        state.update(held=0, taken=9)
        await asyncio.sleep(0.05)
        assert given == [9]  # once, after the burst
        state.update(held=0, taken=10)  # one result came and went between two looks
        await asyncio.sleep(0.05)
        assert given == [9, 10]
    finally:
        task.cancel()
