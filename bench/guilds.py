"""Benchmark of memory per server: the real bot logs in to 10,000 small guilds.

    python -m bench.guilds [--guilds 10000] [--channels 3] [--members 4] [--no-before]

The Discord stand-in (in this process) holds `--guilds` guilds of `--channels` text
channels each, and `--members` users who are members of every guild. `python -m bot`
starts as a subprocess with no shard settings, so it runs the shards Discord recommends
(GET /gateway/bot: one per thousand guilds), logging them in at Discord's pace (one
identify per 5 s at max_concurrency 1, as for any bot under 150,000 servers). Figures:

- time to ready: the process started -> the bot logged "ready as" (every shard has
  received its guilds); the identify spacing Discord imposes is part of it, and shown;
- resident memory (VmRSS from /proc) at ready, and per 1,000 guilds: the difference from
  the same bot ready in one guild, divided by the thousands of guilds.

Each configuration is measured twice (one guild, then `--guilds`): `lean` is the bot's
own (bot/shards.py: the guilds intent only, no member or message cache, no chunking);
`before` is what discord.py asks for by default with the members intent on (member cache,
1,000 cached messages) - what a bot gets that does not choose. Chunking stays off for
both: at the gateway's 120 commands a minute per shard, it alone would take minutes.
The lead's benchmark (`python -m bench`) calls `run`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.processes import ClientProcess
from bot.shards import IDENTIFY_MARGIN, IDENTIFY_WINDOW

TARGET_MB_PER_1000 = 20.0
TARGET_READY_SECONDS = 60.0
VARIANTS = ("lean", "before")
_READY_LINE = "ready as "


def _vm(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def bot_env(standin: Any, folder: Path) -> dict[str, str]:
    # None of the operator's settings from the shell: the bot sees only these.
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    env.update(
        DISCORD_TOKEN=standin.token,
        DISCORD_API_BASE=standin.api_base,
        DISCORD_GATEWAY_URL=standin.gateway_url,
        DATABASE_URL=f"sqlite:///{folder / 'fluxcord.db'}",
        LOG_LEVEL="INFO",
        PLACEHOLDER_PROVIDER="true",
    )
    return env


async def measure(variant: str, guilds: int, channels: int, members: int,
                  timeout: float = 300.0) -> dict[str, Any]:  # noqa: ASYNC109
    """One bot process, ready in `guilds` guilds; its time to ready and memory."""
    from tests.support.standins.discord_api import DiscordStandIn

    with tempfile.TemporaryDirectory(prefix="fluxcord-guilds-") as name:
        folder = Path(name)
        async with DiscordStandIn() as standin:
            for n in range(members):
                standin.add_user(f"member{n}")
            for n in range(guilds):
                guild = standin.add_guild(f"server {n}")
                for c in range(channels):
                    guild.add_channel(f"channel-{c}")
            log_path = folder / "bot.log"
            process = ClientProcess("bench.guilds", ["--as-bot", variant],
                                    bot_env(standin, folder), folder, log_path)
            started = time.monotonic()
            await process.start()
            try:
                while _READY_LINE not in log_path.read_text(errors="replace"):
                    if not process.running or time.monotonic() - started > timeout:
                        raise RuntimeError("the bot did not get ready:\n" + process.log_tail())
                    await asyncio.sleep(0.05)
                ready = time.monotonic() - started
                await asyncio.sleep(0.5)  # let the last GUILD_CREATEs' garbage settle
                rss, peak = _vm(process.pid, "VmRSS"), _vm(process.pid, "VmHWM")
            finally:
                await process.stop()
            shards = len({s.shard_id for s in standin.gateway.sessions})
    return {
        "variant": variant,
        "guilds": guilds,
        "shards": shards,
        "ready_s": round(ready, 2),
        # Discord's pacing, as the bot keeps it: one identify per window at max_concurrency 1.
        "identify_spacing_s": round((IDENTIFY_WINDOW + IDENTIFY_MARGIN) * (shards - 1), 2),
        "rss_mb": round(rss / 2**20, 1),
        "peak_rss_mb": round(peak / 2**20, 1),
    }


async def _run(guilds: int, channels: int, members: int,
               variants: tuple[str, ...]) -> list[dict[str, Any]]:
    cases = []
    for variant in variants:
        small = await measure(variant, 1, channels, members)
        large = await measure(variant, guilds, channels, members)
        per_1000 = (large["rss_mb"] - small["rss_mb"]) / (guilds / 1000)
        cases.append({
            "variant": variant,
            "one_guild": small,
            "many_guilds": large,
            "mb_per_1000_guilds": round(per_1000, 2),
        })
    return cases


def run(guilds: int = 10_000, channels: int = 3, members: int = 4,
        before: bool = True) -> dict[str, Any]:
    """Measures each configuration; returns the figures and whether `lean` meets the
    targets."""
    variants = VARIANTS if before else VARIANTS[:1]
    cases = asyncio.run(_run(guilds, channels, members, variants))
    lean = cases[0]
    return {
        "guilds": guilds,
        "channels_per_guild": channels,
        "members_per_guild": members + 1,
        "cases": cases,
        "meets_targets": lean["mb_per_1000_guilds"] < TARGET_MB_PER_1000
        and lean["many_guilds"]["ready_s"] < TARGET_READY_SECONDS,
        "memory": "VmRSS of the bot process at ready; per 1,000 guilds: (RSS in all the "
                  "guilds - RSS in one) / thousands of guilds",
    }


def run_bot(variant: str) -> int:
    """In the measured subprocess: `python -m bot`, with discord.py's default caches for
    `before`."""
    if variant == "before":
        import discord

        import bot.client
        from bot.shards import client_options

        def defaults(settings: Any) -> dict[str, Any]:
            intents = discord.Intents.default()
            intents.members = True
            return {**client_options(settings), "intents": intents,
                    "member_cache_flags": discord.MemberCacheFlags.from_intents(intents),
                    "max_messages": 1000}

        bot.client.client_options = defaults
    from bot.__main__ import main

    return main([])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.guilds",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--guilds", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--members", type=int, default=4)
    parser.add_argument("--no-before", action="store_true",
                        help="measure the bot's own configuration only")
    parser.add_argument("--as-bot", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.as_bot:
        return run_bot(args.as_bot)
    result = run(args.guilds, args.channels, args.members, before=not args.no_before)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
