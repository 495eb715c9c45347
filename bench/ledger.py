"""Micro-benchmark of the credit ledger: reserve+settle pairs per second.

    python -m bench.ledger [--seconds 3] [--members 100000] [--workers 16] [--profile]

A fresh SQLite file (WAL, the bot's own settings) with `members` members spread over ten
servers; then reserve+settle pairs on random members, first one after another, then from
`workers` concurrent asyncio tasks, for `seconds` each. The lead's benchmark calls `run`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.credits import CreditDefaults, Credits, NewJob
from bot.storage import Database, MemberRow

SERVERS = 10
COST = 1


async def _seed(db: Database, members: int, now: int) -> list[tuple[int, int]]:
    ids = [(1000 + i % SERVERS, 10_000_000 + i) for i in range(members)]
    rows = (MemberRow(g, u, now, 0, 0) for g, u in ids)
    await db.write(lambda tx: tx.insert_members(rows))
    return ids


async def _pairs(credits: Credits, ids: list[tuple[int, int]], rng: random.Random,
                 deadline: float) -> int:
    done = 0
    while time.perf_counter() < deadline:
        guild_id, user_id = ids[rng.randrange(len(ids))]
        job = await credits.reserve(NewJob(
            guild_id=guild_id, channel_id=guild_id, user_id=user_id, model="flux-dev",
            prompt="a lighthouse at dusk", cost=COST, seed=rng.randrange(2**32),
            options={"megapixels": "0.25"},
        ))
        await credits.settle(job.id, message_id=done + 1)
        done += 1
    return done


async def measure(path: Path, seconds: float, members: int, workers: int) -> dict[str, Any]:
    """Runs the benchmark on a new database file at `path`."""
    db = await Database.open(path)
    try:
        started = time.perf_counter()
        ids = await _seed(db, members, int(time.time()))
        seed_seconds = time.perf_counter() - started
        # Budgets big enough that only the ledger is measured, not refusals.
        credits = Credits(db, CreditDefaults(daily_budget=10**9))
        rng = random.Random(1)

        started = time.perf_counter()
        sequential = await _pairs(credits, ids, rng, started + seconds)
        sequential_rate = sequential / (time.perf_counter() - started)

        started = time.perf_counter()
        deadline = started + seconds
        counts = await asyncio.gather(*(
            _pairs(credits, ids, random.Random(100 + n), deadline) for n in range(workers)
        ))
        concurrent_rate = sum(counts) / (time.perf_counter() - started)

        started = time.perf_counter()
        problems = await credits.audit()
        audit_seconds = time.perf_counter() - started
    finally:
        await db.close()
    return {
        "members": members,
        "seed_seconds": round(seed_seconds, 3),
        "sequential_pairs_per_s": round(sequential_rate),
        "concurrent_workers": workers,
        "concurrent_pairs_per_s": round(concurrent_rate),
        "audit_seconds": round(audit_seconds, 3),
        "audit_problems": len(problems),
    }


def run(seconds: float = 3.0, members: int = 100_000, workers: int = 16) -> dict[str, Any]:
    """Measures on a temporary database file; returns the figures as a dict."""
    with tempfile.TemporaryDirectory(prefix="fluxcord-bench-") as folder:
        return asyncio.run(measure(Path(folder) / "ledger.db", seconds, members, workers))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args(argv)
    if args.profile:
        from pyinstrument import Profiler

        with Profiler(async_mode="disabled") as profiler:
            result = run(args.seconds, args.members, args.workers)
        sys.stderr.write(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        result = run(args.seconds, args.members, args.workers)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
