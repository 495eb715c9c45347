"""A burst of `/imagine count:4` (SPEC section 5, `count`): 50 jobs of four images each,
sent at once from 50 members over ten servers, with MAX_IMAGES_IN_FLIGHT at its default.

Reports the most result slots held at once (the image bound: at most
MAX_IMAGES_IN_FLIGHT, however many four-image jobs wait on their last image), the bot's
peak resident memory above idle, the images posted and the wall time of the burst.

The bot runs in this process (tests/support/harness.py) against the stand-ins; memory
and the slots held are sampled every 2 ms by a thread.

    python -m bench.count_burst [--jobs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.hostile import _rss_mb
from bot.providers.slots import ResultSlots
from tests.support.e2e_fixtures import is_settled, results
from tests.support.harness import BotRunner, e2e_settings
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns

SERVERS = 10
COUNT = 4


def finished(ix: Any) -> bool:
    """The job's last word is in: posted and linked ("… left."), or refused."""
    text = str(ix.original.content) if ix.original is not None else ""
    return is_settled(ix) and (not text.startswith("Done") or text.endswith("left."))


class _Peaks:
    """Samples resident memory and the result slots held, in a thread, until stopped."""

    def __init__(self, slots: ResultSlots) -> None:
        self.slots = slots
        self.rss = _rss_mb()
        self.held = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.rss = max(self.rss, _rss_mb())
            self.held = max(self.held, self.slots.held)

    def __enter__(self) -> _Peaks:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


async def measure(jobs: int = 50) -> dict[str, Any]:
    """The burst, in one fresh world of stand-ins."""
    with tempfile.TemporaryDirectory() as folder:
        async with DiscordStandIn() as discord, ProviderStandIns() as providers:
            discord.install()
            channels = [discord.add_guild(f"Bench {n}").add_channel("general")
                        for n in range(SERVERS)]
            users = [discord.add_user(f"member{n}") for n in range(jobs)]
            runner = BotRunner(e2e_settings(Path(folder), discord, providers), discord)
            await runner.start()
            try:
                services = runner.services
                assert services is not None
                slots = services.router.results
                warm = await discord.slash(channels[0], users[0], "imagine", prompt="warm-up",
                                           model="flux-dev", count=COUNT)
                await warm.wait_until(finished, timeout=60)
                idle = _rss_mb()
                started = time.perf_counter()
                with _Peaks(slots) as peaks:
                    burst = await asyncio.gather(*(
                        discord.slash(channels[n % SERVERS], users[n], "imagine",
                                      prompt=f"burst {n}", model="flux-dev", count=COUNT)
                        for n in range(jobs)
                    ))
                    for ix in burst:
                        await ix.wait_until(finished, timeout=300)
                wall = time.perf_counter() - started
                posted = sum(len(m.attachments) for c in channels for m in results(c))
                assert await services.credits.audit() == []
            finally:
                await runner.stop()
    return {
        "count_jobs": jobs,
        "count_images_each": COUNT,
        "count_images_posted": posted - COUNT,  # less the warm-up's
        "count_max_images_in_flight": slots.limit,
        "count_peak_slots_held": peaks.held,
        "count_peak_mb_above_idle": peaks.rss - idle,
        "count_wall_s": wall,
    }


def markdown(figures: dict[str, Any]) -> str:
    """The figures as the lines of latest.md's `count` section."""
    return (
        f"\n## A burst of /imagine count:{figures['count_images_each']}\n\n"
        f"- {figures['count_jobs']} jobs of {figures['count_images_each']} images at once "
        f"over {SERVERS} servers: {figures['count_images_posted']} images posted in "
        f"{figures['count_wall_s']:.1f} s; at most {figures['count_peak_slots_held']} "
        f"results held at once (MAX_IMAGES_IN_FLIGHT {figures['count_max_images_in_flight']}"
        f"); peak memory {figures['count_peak_mb_above_idle']:.1f} MB above idle\n"
    )


def run(jobs: int = 50) -> dict[str, Any]:
    return asyncio.run(measure(jobs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.count_burst", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=50)
    args = parser.parse_args(argv)
    figures = run(args.jobs)
    sys.stdout.write(json.dumps(figures, indent=2) + "\n" + markdown(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
