"""The database's growth per settled job (SPEC section 12): the SQLite file with its
write-ahead log, before and after the burst, over the jobs settled meanwhile. Posted
images are not kept, so it stays near what a job's rows take, whatever the image size."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The most a settled job may add to the database.
TARGET_BYTES_PER_JOB = 16 * 1024


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The database's size on disk and how many jobs it holds settled."""

    bytes: int
    settled: int


def snapshot(path: Path) -> Snapshot:
    """The file and its WAL (what a backup copies), read beside the running bot."""
    wal = path.with_name(path.name + "-wal")
    size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        (settled,) = conn.execute(
            "SELECT count(*) FROM jobs WHERE status = 'settled'").fetchone()
    finally:
        conn.close()
    return Snapshot(size, int(settled))


def growth(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """The figures of one burst: bytes added, jobs settled, bytes per settled job."""
    jobs = after.settled - before.settled
    added = after.bytes - before.bytes
    return {
        "db_bytes_before": before.bytes,
        "db_bytes_after": after.bytes,
        "settled_jobs": jobs,
        "db_bytes_per_job": round(added / jobs) if jobs else None,
    }
