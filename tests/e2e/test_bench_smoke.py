"""The benchmark, run small: the same machinery as `python -m bench` (the real bot process,
the floor process, the stand-ins, the ledger), a few jobs, no timing asserted."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench.run import Options, run


def test_a_small_benchmark_run_completes_and_reports_every_figure(tmp_path: Path) -> None:
    options = Options(
        jobs=4, members=2, image_bytes=20_000, rounds=1, solo=1, warmup=2, timeout=30.0,
        ledger_seconds=0.2, ledger_members=1000, ledger_workers=4, hostile_jobs=2,
        out=tmp_path,
        guilds_bench=False,  # run small by tests/e2e/test_bench_guilds.py
        report_rows=2000,
    )
    result = run(options)

    (measured,) = result["rounds"]
    for client in ("bot", "floor"):
        figures = measured[client]
        assert figures["burst"]["completed"] == 4, figures
        assert figures["solo"]["completed"] == 1, figures
        assert "problems" not in figures, figures["problems"]
        # Every job's provider requests were found and timed.
        assert figures["burst"]["provider_requests"] >= 8
    summary = result["summary"]
    for key in ("ack_p50_ms", "ack_p95_ms", "ack_p99_ms", "overhead_p50_ms",
                "overhead_p99_ms", "jobs_per_s", "peak_rss_mb", "ratio"):
        assert math.isfinite(summary[key]) and summary[key] > 0, (key, summary[key])
    assert summary["ledger_pairs_per_s"] > 0
    # The database's growth per settled job, over the burst's jobs (with 4 jobs, mostly
    # the WAL's first frames: the bound is for the full run).
    assert measured["bot"]["database"]["settled_jobs"] == 4
    assert math.isfinite(summary["db_bytes_per_job"]) and summary["db_bytes_per_job"] >= 0
    hostile = summary["hostile"]
    assert hostile["healthy_beside_hung_p50_ms"] > 0
    assert hostile["hostile_peak_mb_above_idle"] >= 0
    written = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert written["summary"] == summary
    markdown = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "bot-to-floor ratio" in markdown
    assert "hostile attachments" in markdown
    assert "database bytes per settled job" in markdown
    assert result["credit_report"]["rows"] == 2000
    assert "/credits report over 2,000 ledger rows" in markdown
