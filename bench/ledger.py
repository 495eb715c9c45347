"""Micro-benchmark of the credit ledger: reserve+settle pairs per second.

    python -m bench.ledger [--seconds 3] [--members 100000] [--workers 16] [--profile]
                           [--engine sqlite|postgresql|both] [--database-url URL]

On each engine, a fresh database (SQLite: a file in WAL mode, the bot's own settings;
PostgreSQL: a new database on a throwaway local server, or on --database-url) with
`members` members spread over ten servers; then reserve+settle pairs on random members,
first one after another, then from `workers` concurrent asyncio tasks, for `seconds`
each. The lead's benchmark calls `run`: SQLite's figures, PostgreSQL's under "postgresql".
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
from bot.credits import store as credits_store
from bot.credits.rows import MemberRow
from bot.schema import open_store
from bot.storage import Store

SERVERS = 10
COST = 1


async def _seed(db: Store, members: int, now: int) -> list[tuple[int, int]]:
    ids = [(1000 + i % SERVERS, 10_000_000 + i) for i in range(members)]
    rows = (MemberRow(g, u, now, 0, 0) for g, u in ids)
    await db.write(lambda tx: credits_store.insert_members(tx, rows))
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


async def measure(url: str, seconds: float, members: int, workers: int) -> dict[str, Any]:
    """Runs the benchmark on the new, empty database at `url`."""
    db = await open_store(url)
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
        "engine": db.engine,
        "members": members,
        "seed_seconds": round(seed_seconds, 3),
        "sequential_pairs_per_s": round(sequential_rate),
        "concurrent_workers": workers,
        "concurrent_pairs_per_s": round(concurrent_rate),
        "audit_seconds": round(audit_seconds, 3),
        "audit_problems": len(problems),
    }


def run_sqlite(seconds: float = 3.0, members: int = 100_000, workers: int = 16
               ) -> dict[str, Any]:
    """Measures on a temporary SQLite file; returns the figures as a dict."""
    with tempfile.TemporaryDirectory(prefix="fluxcord-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'ledger.db'}"
        return asyncio.run(measure(url, seconds, members, workers))


def run_postgresql(seconds: float = 3.0, members: int = 100_000, workers: int = 16,
                   url: str | None = None, unix_socket: bool = False) -> dict[str, Any]:
    """Measures on a new database of a throwaway local server, over TCP on 127.0.0.1 or
    its Unix socket (or on the empty database at `url`); {"error": why} when there is
    no PostgreSQL here."""
    if url is not None:
        return asyncio.run(measure(url, seconds, members, workers))
    from tests.support.postgres import PostgresUnavailable, ThrowawayPostgres

    try:
        with ThrowawayPostgres() as server:
            url = server.new_database()
            if unix_socket:
                url = server.unix_url(url.rsplit("/", 1)[1])
            result = asyncio.run(measure(url, seconds, members, workers))
            result["connection"] = "unix socket" if unix_socket else "tcp 127.0.0.1"
            return result
    except PostgresUnavailable as exc:
        return {"engine": "postgresql", "error": str(exc)}


def run(seconds: float = 3.0, members: int = 100_000, workers: int = 16,
        engines: tuple[str, ...] = ("sqlite", "postgresql")) -> dict[str, Any]:
    """SQLite's figures at the top level (as before), PostgreSQL's under "postgresql"."""
    result: dict[str, Any] = {}
    if "sqlite" in engines:
        result.update(run_sqlite(seconds, members, workers))
    if "postgresql" in engines:
        result["postgresql"] = run_postgresql(seconds, members, workers)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use")
    parser.add_argument("--unix-socket", action="store_true",
                        help="reach the throwaway PostgreSQL over its Unix socket, not TCP")
    args = parser.parse_args(argv)

    def measure_all() -> dict[str, Any]:
        if args.database_url:
            return run_postgresql(args.seconds, args.members, args.workers, args.database_url)
        engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
        if engines == ("postgresql",):
            return run_postgresql(args.seconds, args.members, args.workers,
                                  unix_socket=args.unix_socket)
        return run(args.seconds, args.members, args.workers, engines)

    if args.profile:
        from pyinstrument import Profiler

        with Profiler(async_mode="disabled") as profiler:
            result = measure_all()
        sys.stderr.write(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        result = measure_all()
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
