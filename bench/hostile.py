"""Hostile figures (SPEC section 11): what a hung provider and hostile attachments cost
everyone else.

- The delay a hung provider adds to another provider's jobs: the median time from the
  /imagine to the posted image of FLUX1.1 [pro] jobs on a healthy apiframe, first alone,
  then while 1min.ai hangs with jobs of the same server stuck on it.
- The bot's peak memory above idle while ten members send hostile attachments at once
  (13000x13000 JPEG and PNG headers, an RLE BMP labelled image/png, a cut-short PNG).

The bot runs in this process (tests/support/harness.py) against the stand-ins; resident
memory is sampled every 2 ms by a thread, and the stand-ins' own share is made before the
idle reading (the attachments are registered first).

    python -m bench.hostile [--jobs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.e2e_fixtures import is_settled
from tests.support.harness import BotRunner, e2e_settings
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.images import make_image, rle_bmp, with_header_size
from tests.support.standins.providers import ProviderStandIns


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 2**20


class _PeakRss:
    """Samples this process's resident memory in a thread until stopped."""

    def __init__(self) -> None:
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


async def _timed_jobs(discord: DiscordStandIn, channel: Any, users: list[Any],
                      jobs: int) -> list[float]:
    seconds = []
    for n in range(jobs):
        started = time.perf_counter()
        ix = await discord.slash(channel, users[n % len(users)], "imagine",
                                 prompt=f"timed {n}", model="flux-1.1-pro")
        await ix.wait_until(is_settled, timeout=30)
        seconds.append(time.perf_counter() - started)
    return seconds


async def measure(jobs: int = 10, hostile: int = 10) -> dict[str, Any]:
    """Both figures, in one fresh world of stand-ins."""
    with tempfile.TemporaryDirectory() as folder:
        async with DiscordStandIn() as discord, ProviderStandIns() as providers:
            discord.install()
            guild = discord.add_guild("Bench")
            general = guild.add_channel("general")
            users = [discord.add_user(f"member{n}") for n in range(max(hostile, 12))]
            bombs = [
                discord.register_attachment(data, name, "image/png" if n % 2 else "image/jpeg")
                for n, (data, name) in enumerate([
                    (with_header_size(make_image(64, 64, "jpeg"), 13000, 13000), "a.jpg"),
                    (with_header_size(make_image(64, 64, "png"), 13000, 13000), "b.png"),
                    (rle_bmp(), "c.png"),
                    (make_image(512, 512, "png")[:-64], "d.png"),
                ])
            ]
            runner = BotRunner(e2e_settings(Path(folder), discord, providers), discord)
            await runner.start()
            try:
                await _timed_jobs(discord, general, users, 2)  # warm-up
                alone = await _timed_jobs(discord, general, users, jobs)
                providers.onemin.inject("hang", times=100, seconds=60)
                stuck = [await discord.slash(general, users[n], "imagine", prompt=f"stuck {n}",
                                             model="flux-dev") for n in range(6)]
                await discord.wait_until(
                    lambda: len(providers.onemin.generation_bodies()) >= 6, timeout=10)
                beside_hung = await _timed_jobs(discord, general, users[6:], jobs)
                assert not any(is_settled(ix) for ix in stuck)
                idle = _rss_mb()
                with _PeakRss() as peak:
                    refused = await asyncio.gather(*(
                        discord.slash(general, users[n], "imagine", prompt="bomb",
                                      model="flux-1.1-pro", image=bombs[n % len(bombs)])
                        for n in range(hostile)
                    ))
                    for ix in refused:
                        await ix.wait_until(is_settled, timeout=30)
            finally:
                await runner.stop()
    return {
        "healthy_alone_p50_ms": statistics.median(alone) * 1000,
        "healthy_beside_hung_p50_ms": statistics.median(beside_hung) * 1000,
        "hung_provider_delay_ms": (statistics.median(beside_hung)
                                   - statistics.median(alone)) * 1000,
        "jobs_each": jobs,
        "hostile_attachments": hostile,
        "hostile_peak_mb_above_idle": peak.peak - idle,
    }


def markdown(figures: dict[str, Any]) -> str:
    """The figures as the lines of latest.md's hostile section."""
    return (
        "\n## Hostile members and providers\n\n"
        f"- FLUX1.1 [pro] on a healthy apiframe, median of {figures['jobs_each']} jobs: "
        f"{figures['healthy_alone_p50_ms']:.0f} ms alone, "
        f"{figures['healthy_beside_hung_p50_ms']:.0f} ms while 1min.ai hangs with 6 jobs "
        f"of the same server (delay added: {figures['hung_provider_delay_ms']:+.0f} ms; "
        "target: none measurable)\n"
        f"- Peak memory above idle while {figures['hostile_attachments']} hostile "
        f"attachments arrive at once: {figures['hostile_peak_mb_above_idle']:.1f} MB "
        "(target: under 100 MB)\n"
    )


def run(jobs: int = 10, hostile: int = 10) -> dict[str, Any]:
    return asyncio.run(measure(jobs, hostile))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--hostile", type=int, default=10)
    args = parser.parse_args(argv)
    figures = run(args.jobs, args.hostile)
    sys.stdout.write(json.dumps(figures, indent=2) + "\n" + markdown(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
