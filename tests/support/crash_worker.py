"""A bot process that dies mid-work, for tests/storage/test_crash_recovery.py.

    python tests/support/crash_worker.py DATABASE_URL POSTED_LOG NOW

Grants each of three members 20 bonus credits, then four concurrent loops reserve jobs
`crash-N`, mark them generating and posting, "post" the image (appending the job id to
POSTED_LOG, as Discord would keep the message) and settle. Job N with N % 8 == 0 stops
after posting and N % 8 == 4 after generating, as if those were in flight. It writes one
line per reserved job to stdout and runs until killed or out of credits.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.credits import CreditDefaults, Credits, NewJob, OutOfCredits
from bot.credits.records import JobRecords
from bot.schema import open_store

GUILD, MEMBERS, BONUS = 10, (1, 2, 3), 20


async def main(url: str, posted_log: Path, now: float) -> None:
    db = await open_store(url)
    credits = Credits(db, CreditDefaults(), clock=lambda: now)
    records = JobRecords(db, clock=lambda: now)
    for member in MEMBERS:
        await credits.grant(GUILD, member, BONUS, "crash test", actor_id=None)
    numbers = itertools.count()
    out_of_credits: set[int] = set()

    async def loop() -> None:
        with posted_log.open("a", encoding="utf-8") as posted:
            while len(out_of_credits) < len(MEMBERS):
                n = next(numbers)
                member = MEMBERS[n % len(MEMBERS)]
                try:
                    job = await credits.reserve(NewJob(
                        id=f"crash-{n}", guild_id=GUILD, channel_id=5, user_id=member,
                        model="flux-pro", prompt=f"image {n}", cost=1 + n % 3, seed=n,
                    ))
                except OutOfCredits:
                    out_of_credits.add(member)
                    continue
                sys.stdout.write(f"reserved {job.id}\n")
                sys.stdout.flush()
                await records.mark(job.id, "generating", provider="onemin")
                await asyncio.sleep(0.002)
                if n % 8 == 4:
                    continue  # still generating when the process dies
                await records.mark(job.id, "posting")
                posted.write(f"{job.id} {1000 + n}\n")
                posted.flush()
                if n % 8 == 0:
                    continue  # posted, but the process dies before settling
                await credits.settle(job.id, message_id=1000 + n)

    await asyncio.gather(*(loop() for _ in range(4)))
    sys.stdout.write("done\n")
    sys.stdout.flush()
    await db.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])))
