"""Several OS processes reserving at once against one database, on each engine: a
member's allowance and a server's daily budget are granted exactly, never more."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.credits import CreditDefaults, Credits
from bot.guilds import Guilds
from bot.schema import open_store

GUILD = 1_234_567_890_123_456_789  # a real-sized Discord id: BIGINT on PostgreSQL
ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4


def _race(url: str, tmp_path: Path, users: list[list[int]], attempts: int) -> int:
    """Starts one process per user list, releases them together; total granted."""
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.race_worker", url, str(go), str(GUILD),
             ",".join(map(str, mine)), str(attempts)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        for mine in users
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        go.touch()
        results = []
        for worker in workers:
            out, _ = worker.communicate(timeout=120)
            assert worker.returncode == 0
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert sum(r["granted"] + r["refused"] for r in results) == len(users) * attempts
    return sum(r["granted"] for r in results)


async def _configure(url: str, allowance: int, budget: int) -> None:
    db = await open_store(url)
    try:
        guilds = Guilds(db, CreditDefaults())
        await guilds.set_allowance(GUILD, allowance)
        await guilds.set_budget(GUILD, budget)
    finally:
        await db.close()


async def _audit(url: str) -> list[str]:
    db = await open_store(url)
    try:
        return await Credits(db, CreditDefaults()).audit()
    finally:
        await db.close()


async def test_processes_racing_for_one_members_allowance(store_url: str, tmp_path: Path
                                                          ) -> None:
    alice = 2**62 + 7
    await _configure(store_url, allowance=30, budget=10_000)
    granted = _race(store_url, tmp_path, [[alice]] * PROCESSES, attempts=20)
    assert granted == 30
    assert await _audit(store_url) == []


async def test_processes_racing_for_one_servers_budget(store_url: str, tmp_path: Path
                                                       ) -> None:
    members = [[10 * p + n for n in range(1, 4)] for p in range(PROCESSES)]
    await _configure(store_url, allowance=10, budget=50)  # 12 members could take 120
    granted = _race(store_url, tmp_path, members, attempts=30)
    assert granted == 50
    assert await _audit(store_url) == []
