"""The statements every engine runs alike (the `db` fixture runs each test on SQLite and
PostgreSQL): one text with `$n` placeholders, the same rows back, the same row counts."""

from __future__ import annotations

import pytest

from bot.storage import Store, Transaction
from bot.storage.postgres_tx import row_count
from bot.storage.sqlite_tx import sqlite_sql


def test_sqlite_runs_the_numbered_placeholders_and_renames_strpos() -> None:
    assert sqlite_sql("SELECT strpos($1, $2) WHERE a = $10 OR b = $1") == (
        "SELECT instr(?1, ?2) WHERE a = ?10 OR b = ?1")


def test_a_postgresql_status_line_gives_the_rows_changed() -> None:
    assert [row_count(s) for s in ("INSERT 0 3", "UPDATE 1", "DELETE 0", "BEGIN")] == [
        3, 1, 0, 0]


@pytest.mark.asyncio
async def test_statements_give_the_same_rows_and_counts_on_every_engine(db: Store) -> None:
    async def run(tx: Transaction) -> list[object]:
        inserted = await tx.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2), ($3, $2)", "a", "x", "b")
        await tx.executemany("INSERT INTO meta (key, value) VALUES ($1, $2)",
                             [("c", "y"), ("d", "y")])
        await tx.defer(("meta", "e"), "INSERT INTO meta (key, value) VALUES ($1, $2)",
                       "e", "z")
        updated = await tx.execute("UPDATE meta SET value = $1 WHERE value = $2", "w", "y")
        # A `$1` used twice is one parameter on both engines.
        same = await tx.fetch("SELECT key FROM meta WHERE value = $1 OR key = $1 "
                              "ORDER BY key", "w")
        return [inserted, updated, [tuple(r) for r in same],
                await tx.fetchrow("SELECT key, value FROM meta WHERE key = $1", "e"),
                await tx.fetchval("SELECT value FROM meta WHERE key = $1", "nobody"),
                await tx.fetchnamed("SELECT key, value FROM meta WHERE key = $1", "a"),
                await tx.execute("DELETE FROM meta WHERE key > $1", "b")]

    inserted, updated, same, row, missing, named, deleted = await db.write(run)
    assert (inserted, updated, same) == (2, 2, [("c",), ("d",)])
    assert row is not None and tuple(row) == ("e", "z") and missing is None
    assert named == [{"key": "a", "value": "x"}] and deleted == 3
