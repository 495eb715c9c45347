"""A burst of tool jobs (Zoom Out 1.5x, Pan ➡️, Vary (Subtle)) beside a burst of /imagine
of the same size: CPU per job and peak memory of each.

The bot runs in this process (tests/support/harness.py) against the stand-ins, BFL's
included; CPU is this process's (the bot and the stand-ins together, the same for both
bursts), memory is sampled every 2 ms by a thread. A few source results are made first
(not measured); each tool job then reads its source back from the Discord stand-in, as
it would from Discord.

    python -m bench.tools [--jobs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.count_burst import _Peaks, finished
from bench.hostile import _rss_mb
from tests.support.e2e_fixtures import results
from tests.support.harness import BotRunner, e2e_settings
from tests.support.standins.discord_api import Channel, DiscordStandIn, Message, User
from tests.support.standins.providers import ProviderStandIns

SERVERS = 10
# The tools of the burst, in turn: (button key, opens a modal).
TOOLS = (("zoom-1.5", True), ("pan-right", True), ("vary-subtle", False))


async def _use(discord: DiscordStandIn, source: Message, key: str, modal: bool,
               user: User) -> Any:
    job = source.custom_ids()[0].rsplit(":", 1)[1]
    ix = await discord.click(source, f"fluxcord:tool:{key}:{job}", user)
    if not modal:
        return ix
    await ix.wait_until(lambda ix: ix.modal is not None, timeout=60)
    return await discord.submit_modal(ix.modal["custom_id"], {"prompt": ""}, user,
                                      source.channel)


async def _burst(start: Callable[[int], Awaitable[Any]], jobs: int, slots: Any
                 ) -> dict[str, float]:
    idle = _rss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    with _Peaks(slots) as peaks:
        started = await asyncio.gather(*(start(n) for n in range(jobs)))
        for ix in started:
            await ix.wait_until(finished, timeout=300)
    return {"cpu_ms_per_job": (time.process_time() - cpu) * 1000 / jobs,
            "wall_s": time.perf_counter() - wall,
            "peak_mb_above_idle": peaks.rss - idle}


async def measure(jobs: int = 50) -> dict[str, Any]:
    """Both bursts, in one fresh world of stand-ins."""
    with tempfile.TemporaryDirectory() as folder:
        async with DiscordStandIn() as discord, ProviderStandIns() as providers:
            discord.install()
            channels: list[Channel] = [discord.add_guild(f"Bench {n}").add_channel("general")
                                       for n in range(SERVERS)]
            users = [discord.add_user(f"member{n}") for n in range(2 * jobs)]
            bfl = providers.settings_env(bfl=True)
            runner = BotRunner(e2e_settings(Path(folder), discord, providers,
                                            BFL_API_KEY=bfl["BFL_API_KEY"],
                                            BFL_BASE_URL=bfl["BFL_BASE_URL"]), discord)
            await runner.start()
            try:
                services = runner.services
                assert services is not None
                slots = services.router.results
                made = await asyncio.gather(*(
                    discord.slash(c, users[-1], "imagine", prompt="a harbour at dawn",
                                  model="flux-1.1-pro") for c in channels))
                for ix in made:
                    await ix.wait_until(finished, timeout=60)
                sources = [results(c)[0] for c in channels]
                imagine = await _burst(lambda n: discord.slash(
                    channels[n % SERVERS], users[n], "imagine", prompt=f"burst {n}",
                    model="flux-1.1-pro"), jobs, slots)
                tools = await _burst(lambda n: _use(
                    discord, sources[n % SERVERS], *TOOLS[n % len(TOOLS)],
                    users[jobs + n]), jobs, slots)
                posted = sum(len(results(c)) for c in channels)
                assert await services.credits.audit() == []
            finally:
                await runner.stop()
    return {"tools_jobs": jobs, "tools_posted": posted - SERVERS - jobs,
            **{f"imagine_{k}": v for k, v in imagine.items()},
            **{f"tools_{k}": v for k, v in tools.items()}}


def markdown(figures: dict[str, Any]) -> str:
    """The figures as the lines of a `tools` section."""
    return (
        f"\n## A burst of tool jobs beside /imagine's\n\n"
        f"- {figures['tools_jobs']} /imagine at once: "
        f"{figures['imagine_cpu_ms_per_job']:.1f} ms CPU per job, peak memory "
        f"{figures['imagine_peak_mb_above_idle']:.1f} MB above idle, "
        f"{figures['imagine_wall_s']:.1f} s\n"
        f"- {figures['tools_jobs']} tool jobs at once (Zoom Out 1.5x, Pan, Vary (Subtle); "
        f"{figures['tools_posted']} posted): {figures['tools_cpu_ms_per_job']:.1f} ms CPU per "
        f"job, peak memory {figures['tools_peak_mb_above_idle']:.1f} MB above idle, "
        f"{figures['tools_wall_s']:.1f} s\n"
    )


def run(jobs: int = 50) -> dict[str, Any]:
    return asyncio.run(measure(jobs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tools", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=50)
    args = parser.parse_args(argv)
    figures = run(args.jobs)
    sys.stdout.write(json.dumps(figures, indent=2) + "\n" + markdown(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
