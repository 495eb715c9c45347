"""Benchmark of a board's contact sheet: 36 thumbnails decoded, drawn in a numbered,
captioned grid and compressed to PNG under an upload limit.

    python -m bench.sheet [--repeats 5] [--limit 10485760] [--small-limit 1048576]

The 36 thumbnails are made the bot's way (bot/boards/thumbs.py) from noisy 1 MP results
in the three formats the providers return: noise is the worst case for the thumbnail's
size and for the sheet's PNG. Each limit is then measured in a fresh subprocess, which
draws the sheet `repeats` times: the wall time of each draw (median and worst), and the
process's peak RSS (VmHWM from /proc: the whole process, interpreter and Pillow
included). RSS rather than tracemalloc, because Pillow allocates its pixel buffers in C,
where tracemalloc does not see them. `--limit` is Discord's default upload limit (10 MB,
one pass at full cell size); `--small-limit` makes the cells shrink and the sheet redraw.
The lead's benchmark (`python -m bench`) calls `run`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.processes import ROOT

ITEMS = 36
TARGET_SECONDS = 2.0
TARGET_RSS_MB = 100.0
_FORMATS = ("png", "jpeg", "webp")
_CAPTION = "a brutalist lighthouse at dusk, volumetric fog, 35 mm film, muted teal and rust"


def make_thumbnails(folder: Path) -> float:
    """Writes ITEMS thumbnails of noisy 1 MP results to `folder`; returns the median
    seconds one thumbnail took to make (decode, shrink, encode)."""
    from bot.boards.thumbs import make_thumbnail
    from tests.support.standins.images import make_noise_image

    seconds = []
    for n in range(ITEMS):
        result = make_noise_image(1024, 1024, _FORMATS[n % 3], seed=n)
        started = time.perf_counter()
        thumbnail = make_thumbnail(result)
        seconds.append(time.perf_counter() - started)
        (folder / f"{n:02d}.webp").write_bytes(thumbnail)
    return statistics.median(seconds)


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(folder: Path, limit: int, repeats: int) -> dict[str, Any]:
    """In the measuring subprocess: draws the sheet `repeats` times."""
    from bot.boards.sheet import SheetItem, draw_sheet

    paths = sorted(folder.glob("*.webp"))
    items = [SheetItem(ITEMS - n, path.read_bytes(), f"{_CAPTION} #{ITEMS - n}")
             for n, path in enumerate(paths)]
    before = _vm("VmRSS")
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        sheet = draw_sheet(items, limit)
        seconds.append(time.perf_counter() - started)
    return {
        "limit_bytes": limit,
        "sheet_bytes": len(sheet.png),
        "cell_px": sheet.layout.tile,
        "sheet_px": list(sheet.layout.size),
        "seconds_median": round(statistics.median(seconds), 3),
        "seconds_max": round(max(seconds), 3),
        "rss_before_mb": round(before / 2**20, 1),
        "peak_rss_mb": round(_vm("VmHWM") / 2**20, 1),
    }


def measure(folder: Path, limit: int, repeats: int) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.sheet", "--child", str(folder),
            "--limit", str(limit), "--repeats", str(repeats)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def run(repeats: int = 5, limit: int = 10 * 2**20, small_limit: int = 2**20) -> dict[str, Any]:
    """Measures both limits; returns the figures and whether they meet the targets."""
    with tempfile.TemporaryDirectory(prefix="fluxcord-sheet-") as name:
        folder = Path(name)
        thumbnail_seconds = make_thumbnails(folder)
        sizes = [path.stat().st_size for path in folder.iterdir()]
        cases = [measure(folder, value, repeats) for value in (limit, small_limit)]
    return {
        "items": ITEMS,
        "repeats": repeats,
        "thumbnail_ms_median": round(thumbnail_seconds * 1000, 1),
        "thumbnail_bytes_max": max(sizes),
        "cases": cases,
        "meets_targets": all(c["seconds_max"] < TARGET_SECONDS
                             and c["peak_rss_mb"] < TARGET_RSS_MB for c in cases),
        "memory": "peak RSS (VmHWM) of a fresh subprocess per limit, whole process",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sheet",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=int, default=10 * 2**20)
    parser.add_argument("--small-limit", type=int, default=2**20)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        result = child(args.child, args.limit, args.repeats)
    else:
        result = run(args.repeats, args.limit, args.small_limit)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
