"""A process killed mid-work: at the next start every charged job is settled or refunded
(on each engine)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.credits import CreditDefaults, Credits, JobStatus
from bot.credits.records import JobRecords
from bot.schema import open_store

WORKER = Path(__file__).parents[1] / "support" / "crash_worker.py"
GUILD, MEMBERS, START_BALANCE = 10, (1, 2, 3), 50 + 20
NOW = 1_704_110_400.0
KILL_AFTER = 40  # reserved jobs


def _run_and_kill(url: str, posted_log: Path) -> int:
    """Starts the worker, SIGKILLs it once it has reserved KILL_AFTER jobs."""
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), url, str(posted_log), str(NOW)],
        stdout=subprocess.PIPE, text=True,
    )
    reserved = 0
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            assert line != "done\n", "the worker finished before it could be killed"
            reserved += 1
            if reserved == KILL_AFTER:
                os.kill(worker.pid, signal.SIGKILL)
                break
    finally:
        worker.kill()
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    return reserved


async def test_jobs_left_by_a_crash_are_settled_or_refunded_never_both(
    tmp_path: Path, store_url: str
) -> None:
    posted_log = tmp_path / "posted.log"
    _run_and_kill(store_url, posted_log)

    db = await open_store(store_url)
    try:
        credits = Credits(db, CreditDefaults(), clock=lambda: NOW)
        records = JobRecords(db, clock=lambda: NOW)
        # What the crash left is consistent already: charged, recorded, not yet final.
        assert await credits.audit() == []
        jobs = [j for n in range(400) if (j := await records.get_job(f"crash-{n}"))]
        assert len(jobs) >= KILL_AFTER
        unfinished = await records.unfinished_jobs()
        statuses = {j.status for j in unfinished}
        assert {JobStatus.GENERATING, JobStatus.POSTING} <= statuses

        # The start-up recovery: a job whose message Discord has was posted; settle it.
        # Anything else never reached the member; refund it.
        posted = dict(line.split() for line in posted_log.read_text().splitlines())
        for job in unfinished:
            if job.id in posted:
                assert await credits.settle(job.id, message_id=int(posted[job.id]))
            else:
                assert await credits.refund(job.id, "interrupted by a restart")

        # A crash during the recovery itself: running it again changes nothing.
        for job in unfinished:
            assert not await credits.settle(job.id, message_id=1)
            assert not await credits.refund(job.id, "again")

        assert await records.unfinished_jobs() == []
        assert await credits.audit() == []
        final = [j for n in range(400) if (j := await records.get_job(f"crash-{n}"))]
        assert [j.id for j in final] == [j.id for j in jobs]
        for job in final:
            # Every posted image is paid for; nothing unposted is.
            expected = JobStatus.SETTLED if job.id in posted else JobStatus.REFUNDED
            assert job.status is expected, job.id
        for member in MEMBERS:
            paid = sum(j.cost for j in final
                       if j.user_id == member and j.status is JobStatus.SETTLED)
            assert (await credits.balance(GUILD, member)).total == START_BALANCE - paid
    finally:
        await db.close()
