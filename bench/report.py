"""Figures from per-job timings, the targets, and the results files (JSON and markdown)."""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bench import burst_postgres
from bench.footprint import TARGET_BYTES_PER_JOB
from bench.measure import JobTiming

TARGETS = {
    "ack_p99_ms": ("acknowledgement p99 at the burst", "<", 50.0),
    "ratio": ("bot-to-floor ratio (mean time per job)", "<", 1.3),
    "ledger_pairs_per_s": ("ledger reserve+settle per second (16 workers)", ">=", 2000.0),
    "peak_rss_mb": ("bot peak RSS", "<", 150.0),
    "db_bytes_per_job": ("database bytes per settled job (SQLite file and WAL)", "<=",
                         float(TARGET_BYTES_PER_JOB)),
}


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _ms(values: Iterable[float], pcts: Sequence[int]) -> dict[str, float]:
    seconds = list(values)
    found = {f"p{p}": round(percentile(seconds, p) * 1000, 2) for p in pcts}
    found["mean"] = round(statistics.fmean(seconds) * 1000, 2) if seconds else float("nan")
    return found


def phase_figures(timings: Sequence[JobTiming], jobs: int) -> dict[str, Any]:
    """The figures of one set of jobs (a burst, or jobs one at a time)."""
    figures: dict[str, Any] = {"jobs": jobs, "completed": len(timings)}
    if not timings:
        return figures
    wall = max(t.stored_at for t in timings) - min(t.dispatched_at for t in timings)
    figures.update(
        ack_ms=_ms((t.ack for t in timings), (50, 95, 99)),
        e2e_ms=_ms((t.e2e for t in timings), (50, 95, 99)),
        provider_ms=_ms((t.provider for t in timings), (50, 99)),
        upload_ms=_ms((t.upload for t in timings), (50, 99)),
        overhead_ms=_ms((t.overhead for t in timings), (50, 99)),
        provider_requests=sum(t.provider_requests for t in timings),
        wall_s=round(wall, 3),
        jobs_per_s=round(len(timings) / wall, 1) if wall > 0 else float("nan"),
    )
    return figures


def ratios(bot: dict[str, Any], floor: dict[str, Any]) -> dict[str, float]:
    """Bot over floor: mean time per job (the headline), p50 time per job, wall time."""
    if not bot.get("completed") or not floor.get("completed"):
        return {}
    return {
        "mean_e2e": round(bot["e2e_ms"]["mean"] / floor["e2e_ms"]["mean"], 3),
        "p50_e2e": round(bot["e2e_ms"]["p50"] / floor["e2e_ms"]["p50"], 3),
        "wall": round(bot["wall_s"] / floor["wall_s"], 3),
    }


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def median_of(rounds: Sequence[dict[str, Any]], *path: str) -> float:
    values = []
    for figures in rounds:
        value: Any = figures
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            values.append(float(value))
    return round(statistics.median(values), 3) if values else float("nan")


def summarise(rounds: Sequence[dict[str, Any]], ledger: dict[str, Any] | None
              ) -> dict[str, Any]:
    """The headline figures: the median over rounds (peak RSS: the largest)."""
    bots = [r["bot"]["burst"] for r in rounds]
    summary: dict[str, Any] = {
        "ack_p50_ms": median_of(bots, "ack_ms", "p50"),
        "ack_p95_ms": median_of(bots, "ack_ms", "p95"),
        "ack_p99_ms": median_of(bots, "ack_ms", "p99"),
        "overhead_p50_ms": median_of(bots, "overhead_ms", "p50"),
        "overhead_p99_ms": median_of(bots, "overhead_ms", "p99"),
        "jobs_per_s": median_of(bots, "jobs_per_s"),
        "peak_rss_mb": max((r["bot"]["peak_rss_mb"] for r in rounds), default=float("nan")),
        "cpu_ms_per_job": median_of([r["bot"] for r in rounds], "burst_cpu_ms_per_job"),
        "page_faults_per_job": median_of([r["bot"] for r in rounds],
                                         "burst_page_faults_per_job"),
        "discord_requests_per_job": median_of([r["bot"] for r in rounds],
                                              "burst_discord_requests_per_job"),
        "db_bytes_per_job": median_of([r["bot"] for r in rounds], "database",
                                      "db_bytes_per_job"),
        "standins_busy": median_of([r["bot"] for r in rounds], "standins_busy"),
        "ratio": median_of(rounds, "ratio", "mean_e2e"),
        "ratio_wall": median_of(rounds, "ratio", "wall"),
        "ratio_solo": median_of(rounds, "ratio_solo", "mean_e2e"),
        "solo_overhead_p50_ms": median_of([r["bot"]["solo"] for r in rounds],
                                          "overhead_ms", "p50"),
        "floor": {
            "ack_p99_ms": median_of([r["floor"]["burst"] for r in rounds], "ack_ms", "p99"),
            "overhead_p50_ms": median_of([r["floor"]["burst"] for r in rounds],
                                         "overhead_ms", "p50"),
            "jobs_per_s": median_of([r["floor"]["burst"] for r in rounds], "jobs_per_s"),
            "cpu_ms_per_job": median_of([r["floor"] for r in rounds], "burst_cpu_ms_per_job"),
            "page_faults_per_job": median_of([r["floor"] for r in rounds],
                                             "burst_page_faults_per_job"),
            "discord_requests_per_job": median_of([r["floor"] for r in rounds],
                                                  "burst_discord_requests_per_job"),
            "peak_rss_mb": max((r["floor"]["peak_rss_mb"] for r in rounds),
                               default=float("nan")),
            "solo_overhead_p50_ms": median_of([r["floor"]["solo"] for r in rounds],
                                              "overhead_ms", "p50"),
        },
    }
    if ledger is not None:
        summary["ledger_pairs_per_s"] = ledger.get("concurrent_pairs_per_s")
        summary["ledger_sequential_pairs_per_s"] = ledger.get("sequential_pairs_per_s")
    return summary


def targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for key, (name, op, bound) in TARGETS.items():
        value = summary.get(key)
        if not isinstance(value, int | float) or math.isnan(value):
            continue
        met = {"<": value < bound, "<=": value <= bound}.get(op, value >= bound)
        found.append({"name": name, "value": value, "target": f"{op} {bound:g}", "met": met})
    return found


def markdown(result: dict[str, Any]) -> str:
    s, config, m = result["summary"], result["config"], result["machine"]
    floor = s["floor"]
    lines = [
        f"# fluxcord benchmark, {result['date']}",
        "",
        f"Machine: {m['nproc']} cores, {m['cpu']}, Python {m['python']} ({m['platform']}).",
        f"Run: {config['jobs']} /imagine at once from {config['members']} members, models "
        f"{', '.join(config['models'])} in turn, provider images of {config['image_bytes']:,} "
        f"bytes, {config['rounds']} round(s) (medians shown); {config['solo']} jobs one at a "
        "time before each burst.",
        "",
        "| figure | bot | floor | target |",
        "|---|---|---|---|",
        f"| acknowledgement p50 / p95 / p99 | {s['ack_p50_ms']:.1f} / {s['ack_p95_ms']:.1f} / "
        f"{s['ack_p99_ms']:.1f} ms | p99 {floor['ack_p99_ms']:.1f} ms | p99 < 50 ms |",
        f"| own overhead per job p50 / p99 (burst) | {s['overhead_p50_ms']:.1f} / "
        f"{s['overhead_p99_ms']:.1f} ms | p50 {floor['overhead_p50_ms']:.1f} ms | |",
        f"| own overhead per job p50 (one at a time) | {s['solo_overhead_p50_ms']:.1f} ms | "
        f"{floor['solo_overhead_p50_ms']:.1f} ms | |",
        f"| completed jobs per second | {s['jobs_per_s']:.1f} | {floor['jobs_per_s']:.1f} | |",
        f"| CPU per job (burst) | {s['cpu_ms_per_job']:.1f} ms | "
        f"{floor['cpu_ms_per_job']:.1f} ms | |",
        f"| minor page faults per job (burst) | {s['page_faults_per_job']:.0f} | "
        f"{floor['page_faults_per_job']:.0f} | |",
        f"| Discord requests per job (burst) | {s['discord_requests_per_job']:.2f} | "
        f"{floor['discord_requests_per_job']:.2f} | |",
        f"| bot-to-floor ratio, mean time per job (burst) | {s['ratio']:.2f} | | < 1.3 |",
        f"| bot-to-floor ratio, wall time (burst) / mean (one at a time) | "
        f"{s['ratio_wall']:.2f} / {s['ratio_solo']:.2f} | | |",
        f"| peak RSS | {s['peak_rss_mb']:.1f} MB | {floor['peak_rss_mb']:.1f} MB | < 150 MB |",
    ]
    if not math.isnan(s.get("db_bytes_per_job", math.nan)):  # the burst ran on SQLite
        lines.append(
            f"| database bytes per settled job (SQLite file and WAL, burst) | "
            f"{s['db_bytes_per_job']:,.0f} B | | <= {TARGET_BYTES_PER_JOB // 1024} KB |")
    if result.get("blocklist"):
        bl = result["blocklist"]
        lines.append(
            f"| blocklist check, {bl['prompt_chars']:,}-character prompt against "
            f"{bl['entries']:,} entries, median / p99 | {bl['ascii']['median_ms']:.3f} / "
            f"{bl['ascii']['p99_ms']:.3f} ms | | < 1 ms |"
        )
    if result.get("credit_report"):
        cr = result["credit_report"]
        lines.append(
            f"| /credits report over {cr['rows']:,} ledger rows ({cr['engine']}): time / "
            f"peak Python memory | {cr['seconds']:.2f} s / {cr['peak_mb']:.1f} MB | | "
            "< 2 s / < 50 MB |"
        )
        if chart := cr.get("chart"):
            lines.append(
                f"| spend.png of that report, 90 days: wall / CPU (first draw, importing "
                f"matplotlib: {chart['first_ms']:,} ms) | {chart['wall_ms']} / "
                f"{chart['cpu_ms']} ms | | < 200 ms |"
            )
    if result.get("autocomplete"):
        ac = result["autocomplete"]
        lines.append(
            f"| /imagine prompt autocomplete with {ac['jobs']:,} jobs ({ac['engine']}), "
            f"median / p99 | {ac['median_ms']:.2f} / {ac['p99_ms']:.2f} ms | | p99 < 20 ms |"
        )
    if "ledger_pairs_per_s" in s:
        ledger = result["ledger"]
        lines.append(
            f"| ledger reserve+settle per second, {ledger.get('concurrent_workers')} workers "
            f"/ sequential ({ledger.get('members'):,} members) | {s['ledger_pairs_per_s']:,} / "
            f"{s['ledger_sequential_pairs_per_s']:,} | | >= 2,000 |"
        )
    for case in (result.get("sheet") or {}).get("cases", []):
        lines.append(
            f"| contact sheet of 36, under {case['limit_bytes'] / 2**20:g} MB ({case['cell_px']} "
            f"px cells): worst time / peak RSS | {case['seconds_max']:.2f} s / "
            f"{case['peak_rss_mb']:.1f} MB | | < 2 s / < 100 MB |"
        )
    for case in (result.get("guilds") or {}).get("cases", []):
        many = case["many_guilds"]
        caches = {"lean": "the bot's caches", "before": "discord.py's default caches and "
                  "the members intent"}.get(case["variant"], case["variant"])
        lines.append(
            f"| {many['guilds']:,} guilds on {many['shards']} shard(s), {caches}: "
            f"time to ready / RSS per 1,000 guilds | {many['ready_s']:.1f} s / "
            f"{case['mb_per_1000_guilds']:.1f} MB | | < 60 s / < 20 MB |"
        )
    lines += burst_postgres.markdown_rows(result)
    lines += [
        "",
        "How to read it: acknowledgement is INTERACTION_CREATE dispatched -> first callback "
        "at the Discord stand-in; end-to-end (e2e) is dispatched -> public image message "
        "stored; own overhead = e2e - the provider stand-ins' time on the job's requests "
        "(plus apiframe's poll intervals) - the Discord stand-in's time on the upload. The "
        "ratio is the bot's mean e2e over the floor's in the same round (wall: time to "
        "finish the whole burst). The floor (bench/floor.py) makes the same exchanges "
        "(callback, provider request and polls, download, multipart upload) with one "
        "aiohttp session and no bot logic. Bot limits: "
        + ", ".join(f"{k}={v}" for k, v in config["bot_limits"].items())
        + f" ({config['limits_why']}). The stand-ins' process was "
        f"{s['standins_busy']:.0%} busy during the bot's burst.",
    ]
    if "hostile" in s:
        from bench import hostile

        lines.append(hostile.markdown(s["hostile"]).rstrip("\n"))
    if "count_burst" in s:
        from bench import count_burst

        lines.append(count_burst.markdown(s["count_burst"]).rstrip("\n"))
    lines += ["", "Targets: " + "; ".join(
        f"{t['name']} {'met' if t['met'] else 'MISSED'} ({t['value']:g}, {t['target']})"
        for t in result["targets"]
    ) + ".", ""]
    return "\n".join(lines)


def write(result: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "latest.json", folder / "latest.md"
    json_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown(result), encoding="utf-8")
    return json_path, md_path


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
