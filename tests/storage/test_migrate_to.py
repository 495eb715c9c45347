"""`python -m bot migrate-to postgresql://…`: every row of the SQLite database lands in
PostgreSQL, the audit holds on both sides, and a database with rows is never written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.credits import CreditDefaults, Credits, NewJob
from bot.credits.records import JobRecords
from bot.guilds import Guilds
from bot.schema import MIGRATIONS, TABLES, open_store
from bot.storage import SqliteStore, Store
from bot.storage.copy import row_counts
from tests.support.postgres import ThrowawayPostgres

GUILD, ALICE, BOB, ADMIN = 1_234_567_890_123_456_789, 2**60 + 1, 2**60 + 2, 99
PASSWORD = "copy-pa55word"


def _job(user: int, cost: int) -> NewJob:
    return NewJob(guild_id=GUILD, channel_id=2**62, user_id=user, model="flux-dev",
                  prompt="a lighthouse", cost=cost, seed=2**40, options={"steps": 28},
                  shard=1)


async def _fill(db: Store) -> None:
    credits, guilds = Credits(db, CreditDefaults()), Guilds(db, CreditDefaults())
    records = JobRecords(db)
    await guilds.set_allowance(GUILD, 20, period_hours=6)
    await guilds.set_safety_cap(GUILD, 3, channel_id=2**62)
    await credits.grant(GUILD, ALICE, 7, "event prize", ADMIN)
    settled = await credits.reserve(_job(ALICE, 25))  # allowance and bonus
    await credits.settle(settled.id, 2**61)
    refunded = await credits.reserve(_job(BOB, 3))
    await credits.refund(refunded.id, "provider down")
    posting = await credits.reserve(_job(BOB, 2))
    await records.mark(posting.id, "posting")
    await db.set_meta("commands_hash", "abc")


def _migrate(sqlite_url: str, target: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": sqlite_url, "DISCORD_TOKEN": "t"}
    return subprocess.run([sys.executable, "-m", "bot", "migrate-to", target], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


async def _everything(db: Store) -> tuple[object, ...]:
    credits, records = Credits(db, CreditDefaults()), JobRecords(db)
    return (
        await credits.balance(GUILD, ALICE), await credits.balance(GUILD, BOB),
        await credits.ledger(GUILD, ALICE), await credits.ledger(GUILD, BOB),
        await records.unfinished_jobs(), await credits.budget_left(GUILD),
        await Guilds(db, CreditDefaults()).safety_caps(GUILD),
        await db.get_meta("commands_hash"),
    )


async def test_migrate_to_copies_every_row_and_checks_both_audits(
    tmp_path: Path, pg_server: ThrowawayPostgres
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'fluxcord.db'}"
    async with await SqliteStore.open(tmp_path / "fluxcord.db", migrations=MIGRATIONS) as source:
        await _fill(source)
        before = await _everything(source)
        counts = await row_counts(source, TABLES)
    target = pg_server.new_database().replace("postgres@", f"postgres:{PASSWORD}@")

    done = _migrate(sqlite_url, target, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "audit: ok on both sides" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr

    moved = await open_store(target)
    try:
        assert await row_counts(moved, TABLES) == counts
        assert await _everything(moved) == before
        assert await Credits(moved, CreditDefaults()).audit() == []
        # The copy goes on where SQLite stopped: new ledger rows are numbered after it.
        await Credits(moved, CreditDefaults()).grant(GUILD, BOB, 1, "welcome", ADMIN)
    finally:
        await moved.close()

    again = _migrate(sqlite_url, target, tmp_path)  # never into a database with rows
    assert again.returncode == 1
    assert "already has rows" in again.stdout
