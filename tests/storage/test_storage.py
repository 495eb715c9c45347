"""The store contract every engine keeps (the `db` fixture runs each test on SQLite and
PostgreSQL), and what is SQLite's own: the file, its migrations, its statement splitter."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.credits import store as credits_store
from bot.credits.rows import MemberRow
from bot.schema import MIGRATIONS, open_store
from bot.storage import (
    Migration,
    SchemaError,
    SqliteStore,
    StorageError,
    Store,
    Transaction,
)
from bot.storage.migrations import statements


def _peek(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Reads the file the way an operator's sqlite3 shell would."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_fresh_file_is_migrated_once_and_reopening_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "fluxcord.db"  # the folder is created too
    db = await SqliteStore.open(path, migrations=MIGRATIONS)
    assert db.migrations_applied == len(MIGRATIONS)
    assert db.schema_version == len(MIGRATIONS)
    await db.set_meta("commands_hash", "abc")
    await db.close()

    tables = _peek(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    assert {name for (name,) in tables} >= {
        "budget_spend", "channel_safety", "guild_config", "jobs", "ledger", "members", "meta"
    }
    assert _peek(path, "PRAGMA journal_mode") == [("wal",)]

    db = await SqliteStore.open(path, migrations=MIGRATIONS)
    try:
        assert db.migrations_applied == 0
        assert db.schema_version == len(MIGRATIONS)
        assert await db.get_meta("commands_hash") == "abc"
    finally:
        await db.close()
    assert _peek(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]


async def test_a_failing_migration_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "fluxcord.db"
    broken = (*MIGRATIONS, Migration("CREATE TABLE extra (x INTEGER);\nCREATE TABLE broken (;"))
    with pytest.raises(sqlite3.OperationalError):
        await SqliteStore.open(path, migrations=broken)
    # Nothing of the failed run stayed: not even the migrations before the broken one.
    assert _peek(path, "PRAGMA user_version") == [(0,)]
    assert _peek(path, "SELECT name FROM sqlite_master WHERE name IN ('jobs', 'extra')") == []

    db = await SqliteStore.open(path, migrations=MIGRATIONS)
    assert db.migrations_applied == len(MIGRATIONS)
    await db.close()


async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fluxcord.db"
    later = (*MIGRATIONS, Migration("CREATE TABLE later (x INTEGER);"))
    db = await SqliteStore.open(path, migrations=later)
    await db.close()
    with pytest.raises(SchemaError, match="newer"):
        await SqliteStore.open(path, migrations=MIGRATIONS)


def test_scripts_split_into_statements_with_triggers_and_quoted_semicolons() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE a (x TEXT DEFAULT 'p;q');
    CREATE TRIGGER t AFTER INSERT ON a BEGIN
        UPDATE a SET x = 'r;s';
    END;
    -- trailing comment
    """
    parts = list(statements(script))
    assert len(parts) == 2
    assert parts[1].startswith("CREATE TRIGGER") and parts[1].endswith("END;")


async def test_meta_values_are_overwritten(db: Store) -> None:
    assert await db.get_meta("missing") is None
    await db.set_meta("commands_hash", "one")
    await db.set_meta("commands_hash", "two")
    assert await db.get_meta("commands_hash") == "two"


async def test_a_write_that_raises_is_rolled_back(db: Store) -> None:
    async def half_done(tx: Transaction) -> None:
        await tx.set_meta("key", "written")
        raise ValueError("changed my mind")

    with pytest.raises(ValueError, match="changed my mind"):
        await db.write(half_done)
    assert await db.get_meta("key") is None


async def test_concurrent_writes_commit_together_but_fail_alone(db: Store) -> None:
    # Submitted at once, these share one group commit; the failing one must undo only its
    # own writes and the others must all be kept.
    def writer(n: int) -> Callable[[Transaction], Awaitable[int]]:
        async def fn(tx: Transaction) -> int:
            await tx.set_meta(f"k{n}", str(n))
            if n % 3 == 0:
                raise KeyError(n)
            return n

        return fn

    results = await asyncio.gather(*(db.write(writer(n)) for n in range(30)),
                                   return_exceptions=True)
    for n, result in enumerate(results):
        if n % 3 == 0:
            assert isinstance(result, KeyError)
            assert await db.get_meta(f"k{n}") is None
        else:
            assert result == n
            assert await db.get_meta(f"k{n}") == str(n)


async def test_the_database_refuses_work_after_close(tmp_path: Path) -> None:
    db = await SqliteStore.open(tmp_path / "fluxcord.db", migrations=MIGRATIONS)
    pending = asyncio.ensure_future(db.write(lambda tx: tx.set_meta("k", "v")))
    await asyncio.sleep(0)  # submitted...
    await db.close()  # ...so close waits for it
    await pending
    with pytest.raises(RuntimeError):
        await db.read(lambda tx: tx.get_meta("k"))
    assert _peek(tmp_path / "fluxcord.db", "SELECT value FROM meta") == [("v",)]


async def test_every_engine_refuses_work_after_close_and_closes_once(store_url: str) -> None:
    db = await open_store(store_url)
    async with db:
        await db.set_meta("k", "v")
    await db.close()  # a second close is nothing
    for work in (db.read(lambda tx: tx.get_meta("k")), db.write(lambda tx: tx.set_meta("k", "w")),
                 db.get_meta("k")):
        with pytest.raises(RuntimeError, match="the database is closed"):
            await work
    async with await open_store(store_url) as again:
        assert await again.get_meta("k") == "v"


async def test_bulk_member_insert(db: Store) -> None:
    rows = [MemberRow(1, user, 1000, 0, 0) for user in range(5000)]
    await db.write(lambda tx: credits_store.insert_members(tx, rows))
    assert await db.read(
        lambda tx: credits_store.member(tx, 1, 4999)) == MemberRow(1, 4999, 1000, 0, 0)
    assert len(await db.read(lambda tx: credits_store.members(tx))) == 5000


async def test_a_rule_that_awaits_something_else_is_refused_on_sqlite(tmp_path: Path) -> None:
    # SQLite runs a rule whole on its thread; a rule that suspends would run unprotected.
    async def sleeps(tx: Transaction) -> None:
        await tx.set_meta("k", "v")
        await asyncio.sleep(0)

    async with await SqliteStore.open(tmp_path / "fluxcord.db", migrations=MIGRATIONS) as db:
        with pytest.raises(RuntimeError, match="awaited something other"):
            await db.write(sleeps)
        assert await db.get_meta("k") is None


async def test_discord_sized_ids_round_trip(db: Store) -> None:
    # Snowflakes pass 2**53; PostgreSQL's INTEGER is 32 bits, so they are BIGINT there.
    guild, user = 1_234_567_890_123_456_789, 2**63 - 1
    await db.write(lambda tx: credits_store.put_member(tx, MemberRow(guild, user, 1000, 3, 4)))
    assert await db.read(
        lambda tx: credits_store.member(tx, guild, user)) == MemberRow(guild, user, 1000, 3, 4)
    await db.write(lambda tx: credits_store.set_channel_cap(tx, guild, user, 2))
    assert await db.read(lambda tx: credits_store.channel_caps(tx, guild)) == {user: 2}


async def test_an_unknown_scheme_is_refused_without_its_password() -> None:
    with pytest.raises(StorageError) as caught:
        await open_store("mysql://bot:s3cr3t@db/fluxcord")
    assert "s3cr3t" not in str(caught.value)


async def test_writes_land_in_order_and_a_refused_one_undoes_the_rule(db: Store) -> None:
    async def twice(tx: Transaction) -> MemberRow | None:
        await credits_store.put_member(tx, MemberRow(1, 2, 1000, 3, 0))
        await credits_store.add_budget_spend(tx, 1, "2024-01-01", 5)
        await credits_store.put_member(tx, MemberRow(1, 2, 1000, 4, 1))  # the same row again
        await credits_store.add_budget_spend(tx, 1, "2024-01-01", -2)
        return await credits_store.member(tx, 1, 2)

    assert await db.write(twice) == MemberRow(1, 2, 1000, 4, 1)
    assert await db.read(lambda tx: credits_store.budget_spent(tx, 1, "2024-01-01")) == 3

    async def overdraws(tx: Transaction) -> None:
        await tx.set_meta("k", "v")
        await credits_store.put_member(tx, MemberRow(1, 3, 1000, -1, 0))  # refused by the schema

    with pytest.raises(Exception, match=r"(?i)check"):
        await db.write(overdraws)
    assert await db.read(lambda tx: credits_store.member(tx, 1, 3)) is None
    assert await db.get_meta("k") is None
