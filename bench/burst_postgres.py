"""The burst of `python -m bench` once more, with the bot on PostgreSQL.

    python -m bench --database postgresql            # a throwaway local server
    python -m bench --database postgresql://user:password@host:port/dbname   # empty db

One round of the bot alone (warm-up, the jobs one at a time, then the burst) in a fresh
world of stand-ins, exactly as the SQLite rounds measure it but with DATABASE_URL on
PostgreSQL (over TCP on 127.0.0.1), reported beside the SQLite rounds' medians. The
throwaway server comes from tests/support/postgres.py (Debian's `postgresql` package):
fsync off, so the figure is the bot's cost on PostgreSQL, not the disk's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

# `bench.run.measure_client`, handed in by the runner (which imports this module).
Measure = Callable[..., Awaitable[dict[str, Any]]]

log = logging.getLogger("bench")


def run(runner: asyncio.Runner, options: Any, measure_client: Measure) -> dict[str, Any]:
    """The bot's figures on PostgreSQL (`options`: the runner's Options); {"error": why}
    when no server could be had."""
    if options.database.startswith(("postgresql://", "postgres://")):
        return runner.run(_measure(measure_client, options, options.database))
    from tests.support.postgres import PostgresUnavailable, ThrowawayPostgres

    try:
        with ThrowawayPostgres() as server:
            return runner.run(_measure(measure_client, options, server.new_database()))
    except PostgresUnavailable as exc:
        log.warning("no burst on PostgreSQL: %s", exc)
        return {"error": str(exc)}


async def _measure(measure_client: Measure, options: Any, url: str) -> dict[str, Any]:
    log.warning("the burst once more, on PostgreSQL")
    # The bot's profile of this burst goes to its own file (`--profile-bot-postgres`).
    options = dataclasses.replace(options, profile_bot=options.profile_bot_postgres)
    with tempfile.TemporaryDirectory(prefix="fluxcord-bench-pg-") as folder:
        figures = await measure_client("bot", options, Path(folder), database_url=url)
    figures["connection"] = "tcp 127.0.0.1"
    return figures


def markdown_rows(result: dict[str, Any]) -> list[str]:
    """The PostgreSQL burst beside SQLite's medians, as lines of a markdown table."""
    pg = result.get("burst_postgresql")
    if not pg:
        return []
    if "error" in pg:
        return ["", f"Burst on PostgreSQL: not run ({pg['error']})."]
    s, burst = result["summary"], pg["burst"]
    return [
        "",
        "The burst with the bot on PostgreSQL (one round) beside SQLite (medians above):",
        "",
        "| figure | SQLite | PostgreSQL |",
        "|---|---|---|",
        f"| acknowledgement p50 / p99 | {s['ack_p50_ms']:.1f} / {s['ack_p99_ms']:.1f} ms | "
        f"{burst['ack_ms']['p50']:.1f} / {burst['ack_ms']['p99']:.1f} ms |",
        f"| own overhead per job p50 / p99 (burst) | {s['overhead_p50_ms']:.1f} / "
        f"{s['overhead_p99_ms']:.1f} ms | {burst['overhead_ms']['p50']:.1f} / "
        f"{burst['overhead_ms']['p99']:.1f} ms |",
        f"| own overhead per job p50 (one at a time) | {s['solo_overhead_p50_ms']:.1f} ms | "
        f"{pg['solo']['overhead_ms']['p50']:.1f} ms |",
        f"| completed jobs per second | {s['jobs_per_s']:.1f} | {burst['jobs_per_s']:.1f} |",
        f"| bot CPU per job (burst) | {s['cpu_ms_per_job']:.1f} ms | "
        f"{pg['burst_cpu_ms_per_job']:.1f} ms |",
        f"| peak RSS | {s['peak_rss_mb']:.1f} MB | {pg['peak_rss_mb']:.1f} MB |",
    ]
