"""The credit report over 100,000 ledger rows: time to build it and peak memory
(targets: under 2 s and under 50 MB).

    python -m bench.credit_report [--rows 100000] [--limit-mb 10] [--postgres URL]

Fills a fresh SQLite file (or the given PostgreSQL database) with one server's history:
jobs across the four models and 300 members, each job's charge, one in five refunded,
and admin grants, `--rows` ledger rows in all. Then builds `/credits report` for the
whole period as the bot does (pages read from the database, the CSV written as it goes,
fitted under `--limit-mb`): first timed, then again under tracemalloc for the peak of
Python's allocations while building (the database's own cache is not in that figure;
SQLite's default cache is 2 MB). Last, spend.png over 90 days of that report: the first
draw (matplotlib imported then) and the median of five more, wall and CPU time (target:
under 200 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

from bot.admin.chart import draw
from bot.admin.report import ReportSummary, build_report
from bot.credits import store as credits_store
from bot.credits.rows import ALLOWANCE, BONUS, Job, JobStatus, LedgerEntry
from bot.schema import open_store
from bot.storage import Store

GUILD = 1
MODELS = ("flux-1.1-pro", "flux-pro", "flux-2-pro", "flux-dev")
TARGET_SECONDS = 2.0
TARGET_MB = 50.0
TARGET_CHART_MS = 200.0
CHART_DAYS = 90
T0 = 1_780_000_000.0


def _history(rows: int, rng: random.Random) -> tuple[list[Job], list[LedgerEntry]]:
    jobs: list[Job] = []
    ledger: list[LedgerEntry] = []
    now = T0
    while len(ledger) < rows:
        now += rng.uniform(1, 20)
        user = rng.randrange(300)
        if rng.random() < 0.1:
            ledger.append(LedgerEntry(GUILD, user, BONUS, rng.randint(1, 50), "weekly prize",
                                      None, None, 99, now))
            continue
        cost, model = rng.randint(1, 6), rng.choice(MODELS)
        refunded = rng.random() < 0.2
        job = Job(f"{len(jobs):032x}", GUILD, 2, user, model, "a prompt", {}, 7, cost, cost,
                  0, "2026-06-01", int(T0), JobStatus.REFUNDED if refunded else
                  JobStatus.SETTLED, "onemin", None, None, now, now)
        jobs.append(job)
        ledger.append(LedgerEntry(GUILD, user, ALLOWANCE, -cost, "reserve", job.id, int(T0),
                                  None, now))
        if refunded:
            # Beside its charge, so that a job and its rows land in the same slice.
            ledger.append(LedgerEntry(GUILD, user, ALLOWANCE, cost, "refund: onemin: timeout",
                                      job.id, int(T0), None, now + 1))
    return jobs, ledger[:rows]


async def _fill(db: Store, rows: int) -> None:
    jobs, ledger = _history(rows, random.Random(12))

    async def fill(tx: Any, jobs: list[Job], ledger: list[LedgerEntry]) -> None:
        for job in jobs:
            await credits_store.insert_job(tx, job)
        await credits_store.add_ledger(tx, ledger)

    # In slices: PostgreSQL takes at most 32,767 parameters in one statement.
    step = 1000
    by_id = {job.id: job for job in jobs}
    for start in range(0, len(ledger), step):
        part = ledger[start:start + step]
        ids = dict.fromkeys(e.job_id for e in part if e.job_id)
        await db.write(partial(fill, jobs=[by_id.pop(i) for i in ids if i in by_id],
                               ledger=part))


async def _measure(url: str, rows: int, limit: int) -> dict[str, Any]:
    db = await open_store(url)
    try:
        await _fill(db, rows)
        started = time.perf_counter()
        report = await build_report(db, GUILD, 0.0, None, limit, "bench")
        seconds = time.perf_counter() - started
        tracemalloc.start()
        await build_report(db, GUILD, 0.0, None, limit, "bench")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        await db.close()
    return {
        "engine": url.split(":", 1)[0],
        "rows": report.summary.rows,
        "seconds": round(seconds, 3),
        "peak_mb": round(peak / 2**20, 1),
        "files": [len(f.data) for f in report.files],
        "how": report.how,
        "limit_bytes": limit,
        "chart": _chart(report.summary),
        "targets": {"seconds": TARGET_SECONDS, "peak_mb": TARGET_MB,
                    "chart_ms": TARGET_CHART_MS},
    }


def _chart(summary: ReportSummary) -> dict[str, Any]:
    """Times spend.png of the report over the last CHART_DAYS days of its history."""
    last = max(day for day, _ in summary.by_day)
    top = [(f"member {m}", n) for m, n in summary.top_spenders]

    def once() -> tuple[float, float, int]:
        wall, cpu = time.perf_counter(), time.process_time()
        png = draw(summary.by_day, last - CHART_DAYS + 1, last, top)
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, len(png)

    first = once()
    warm = sorted(once() for _ in range(5))
    median = warm[len(warm) // 2]
    return {"first_ms": round(first[0]), "wall_ms": round(median[0]),
            "cpu_ms": round(median[1]), "png_bytes": median[2]}


def run(rows: int = 100_000, limit_mb: float = 10.0, postgres: str | None = None
        ) -> dict[str, Any]:
    """Builds the report once timed and once traced; returns the figures."""
    limit = int(limit_mb * 2**20)
    with tempfile.TemporaryDirectory() as tmp:
        url = postgres or f"sqlite:///{Path(tmp) / 'report.db'}"
        return asyncio.run(_measure(url, rows, limit))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.credit_report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--limit-mb", type=float, default=10.0)
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database URL")
    args = parser.parse_args(argv)
    json.dump(run(args.rows, args.limit_mb, args.postgres), sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
