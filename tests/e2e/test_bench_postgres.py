"""The benchmark's burst, run small with the bot on PostgreSQL and reported beside
SQLite's: the machinery of `python -m bench --database postgresql`, no timing asserted."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.run import Options, run
from bot.schema import open_store
from tests.support.postgres import ThrowawayPostgres


def test_the_burst_runs_on_postgresql_and_is_reported_beside_sqlite(
    tmp_path: Path, pg_server: ThrowawayPostgres
) -> None:
    url = pg_server.new_database()
    options = Options(
        jobs=4, members=2, image_bytes=20_000, rounds=1, solo=1, warmup=2, timeout=30.0,
        ledger=False, sheet=False, guilds_bench=False, out=tmp_path, database=url,
    )
    result = run(options)

    figures = result["burst_postgresql"]
    assert figures["burst"]["completed"] == 4, figures
    assert figures["solo"]["completed"] == 1, figures
    assert "problems" not in figures, figures["problems"]

    async def jobs_in_postgresql() -> int:
        db = await open_store(url)
        try:
            return len(await db.read(lambda tx: tx.dump("jobs")))
        finally:
            await db.close()

    assert asyncio.run(jobs_in_postgresql()) == 4 + 1 + 2  # burst, one at a time, warm-up
    report = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "| figure | SQLite | PostgreSQL |" in report
    assert "| completed jobs per second |" in report
