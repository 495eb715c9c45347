"""The `prompt` autocomplete of /imagine with 100,000 jobs in the table: milliseconds per
answer, median and p99 (target: p99 under 20 ms; Discord allows 3 s).

    python -m bench.autocomplete [--jobs 100000] [--queries 500] [--postgres URL]

Fills a fresh SQLite file (or the given empty PostgreSQL database) with `--jobs` jobs in
10 servers from 2,000 members, a fifth of them from one member (the heaviest history a
member can have), with prompts drawn from a small vocabulary. Then answers `--queries`
autocompletes as the bot does (`Presets.recent_prompts`: the member's latest jobs through
the (guild, member, time) index, filtered by what was typed): half for the heavy member,
half for ordinary ones, with fragments that match often, rarely or never (the worst
case: the whole window is read and nothing is kept).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from bot.credits import store as credits_store
from bot.credits.rows import Job, JobStatus
from bot.presets import Presets
from bot.schema import open_store
from bot.storage import Store

GUILDS = 10
MEMBERS = 2_000
HEAVY = (1, 1)  # (guild, member) of the member with a fifth of all jobs
TARGET_P99_MS = 20.0
T0 = 1_780_000_000.0
WORDS = ("harbour", "fox", "neon", "castle", "forest", "portrait", "city", "storm",
         "cat", "mountain", "watercolor", "cinematic", "retro", "night", "desert")
FRAGMENTS = ("", "fox", "NEON cas", "watercolor", "zzz-no-match", "a", "storm night")


def _jobs(count: int, rng: random.Random) -> list[Job]:
    jobs = []
    for n in range(count):
        if rng.random() < 0.2:
            guild, user = HEAVY
        else:
            guild, user = rng.randrange(GUILDS), rng.randrange(MEMBERS)
        prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
        now = T0 + n
        jobs.append(Job(f"{n:032x}", guild, 2, user, "flux-dev", prompt, {}, 7, 1, 1, 0,
                        "2026-06-01", int(T0), JobStatus.SETTLED, "onemin", None, None,
                        now, now))
    return jobs


async def _fill(db: Store, count: int) -> None:
    async def fill(tx: Any, jobs: list[Job]) -> None:
        for job in jobs:
            await credits_store.insert_job(tx, job)

    jobs = _jobs(count, random.Random(16))
    # In slices: PostgreSQL takes at most 32,767 parameters in one statement.
    for start in range(0, len(jobs), 1000):
        await db.write(partial(fill, jobs=jobs[start:start + 1000]))


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def _measure(url: str, jobs: int, queries: int) -> dict[str, Any]:
    db = await open_store(url)
    try:
        await _fill(db, jobs)
        power = Presets(db)
        rng = random.Random(3)
        for _ in range(20):  # warm the caches and the pool
            await power.recent_prompts(*HEAVY, "fox")
        heavy: list[float] = []
        ordinary: list[float] = []
        for n in range(queries):
            member = HEAVY if n % 2 == 0 else (rng.randrange(GUILDS), rng.randrange(MEMBERS))
            typed = rng.choice(FRAGMENTS)
            started = time.perf_counter()
            await power.recent_prompts(*member, typed)
            (heavy if member == HEAVY else ordinary).append(
                (time.perf_counter() - started) * 1000)
    finally:
        await db.close()
    both = heavy + ordinary
    return {
        "engine": url.split(":", 1)[0],
        "jobs": jobs,
        "queries": queries,
        "median_ms": round(_percentile(both, 50), 3),
        "p99_ms": round(_percentile(both, 99), 3),
        "heavy_member_p99_ms": round(_percentile(heavy, 99), 3),
        "ordinary_member_p99_ms": round(_percentile(ordinary, 99), 3),
        "target_p99_ms": TARGET_P99_MS,
    }


def run(jobs: int = 100_000, queries: int = 500, postgres: str | None = None
        ) -> dict[str, Any]:
    """Fills a database and times the autocompletes; returns the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        url = postgres or f"sqlite:///{Path(tmp) / 'autocomplete.db'}"
        return asyncio.run(_measure(url, jobs, queries))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.autocomplete", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database URL")
    args = parser.parse_args(argv)
    json.dump(run(args.jobs, args.queries, args.postgres), sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
