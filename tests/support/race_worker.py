"""One OS process of the credit race (tests/storage/test_credit_race_processes.py).

    python -m tests.support.race_worker DATABASE_URL GO_FILE GUILD USER[,USER...] ATTEMPTS

Opens the store, says "ready", waits for GO_FILE to appear so that every process starts
at once, then reserves ATTEMPTS jobs of cost 1 for each member in turn (settling those
granted) and prints how many were granted and refused, as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from bot.credits import BudgetExhausted, CreditDefaults, Credits, NewJob, OutOfCredits
from bot.schema import open_store

NOW = 1_704_110_400.0


def _wait_for(go: Path) -> None:
    while not go.exists():
        time.sleep(0.005)


async def main(url: str, go: Path, guild: int, users: list[int], attempts: int) -> None:
    db = await open_store(url)
    try:
        credits = Credits(db, CreditDefaults(), clock=lambda: NOW)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await asyncio.to_thread(_wait_for, go)
        granted = refused = 0

        async def one(user: int) -> None:
            nonlocal granted, refused
            try:
                job = await credits.reserve(NewJob(
                    guild_id=guild, channel_id=5, user_id=user, model="flux-dev",
                    prompt="race", cost=1, seed=1))
            except (OutOfCredits, BudgetExhausted):
                refused += 1
                return
            granted += 1
            await credits.settle(job.id, message_id=1)

        # Several at once inside the process too, as the bot does.
        await asyncio.gather(*(one(users[n % len(users)]) for n in range(attempts)))
        sys.stdout.write(json.dumps({"granted": granted, "refused": refused}) + "\n")
    finally:
        await db.close()


if __name__ == "__main__":
    url, go, guild, users, attempts = sys.argv[1:6]
    asyncio.run(main(url, Path(go), int(guild), [int(u) for u in users.split(",")],
                     int(attempts)))
