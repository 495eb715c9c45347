"""An existing database loses the image files it kept (SPEC section 12) in the schema
migration at start, on both engines; SQLite also gives the space back to the disk."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.boards.schema import FOOTPRINT
from bot.schema import MIGRATIONS
from bot.storage import SqliteStore
from bot.storage.postgres import PostgresStore
from tests.support.postgres import ThrowawayPostgres

pytestmark = pytest.mark.asyncio

# The migration that drops kept image files, numbered from 1 like the schema version.
DROPS_FILES = MIGRATIONS.index(FOOTPRINT) + 1

FILES = 4
FILE_BYTES = 2**20
# A board item as the bot kept it before: its full file beside the thumbnail.
BOARD = ("INSERT INTO boards (id, guild_id, name, name_key, channel_id, thread_id, "
         "thread_state, created_by, created_at, last_used_at) "
         "VALUES ('b', 1, 'Mood', 'mood', 2, 3, 'active', 4, 0, 0)")
ITEM = ("INSERT INTO board_items (board_id, number, job_id, image_hash, prompt, model, "
        "author_id, added_by, link, filename, image, thumbnail, added_at) "
        "VALUES ('b', {n}, 'j{n}', 'h{n}', 'p', 'm', 4, 4, 'l', 'f.png', {image}, {thumb}, 0)")
KEPT = ("INSERT INTO kept_results (job_id, filename, data, created_at) "
        "VALUES ({job}, 'f.png', {data}, 0)")


def _on_disk(path: Path) -> int:
    """The database file and its write-ahead log, as an operator's backup copies them."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


async def test_sqlite_drops_the_kept_files_and_gives_the_space_back(tmp_path: Path) -> None:
    path = tmp_path / "fluxcord.db"
    await (await SqliteStore.open(path, migrations=MIGRATIONS[:DROPS_FILES - 1])).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(BOARD)
        for n in range(FILES):
            blob = os.urandom(FILE_BYTES)
            conn.execute(ITEM.format(n=n, image="?", thumb="x'00'"), (blob,))
            conn.execute(KEPT.format(job="?", data="?"), (f"j{n}", blob))
    conn.close()
    assert _on_disk(path) > 2 * FILES * FILE_BYTES

    store = await SqliteStore.open(path, migrations=MIGRATIONS[:DROPS_FILES])
    assert store.migrations_applied == 1
    await store.close()

    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "kept_results" not in tables
        assert conn.execute("SELECT count(*), count(image) FROM board_items").fetchone() == (
            FILES, 0)  # the items, their thumbnails and numbers stay
    finally:
        conn.close()
    assert _on_disk(path) < FILE_BYTES  # VACUUM gave the space back


async def test_postgresql_drops_the_kept_files(pg_server: ThrowawayPostgres) -> None:
    url = pg_server.new_database()
    await (await PostgresStore.open(url, migrations=MIGRATIONS[:DROPS_FILES - 1])).close()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(BOARD)
        for n in range(FILES):
            blob = os.urandom(FILE_BYTES)
            await conn.execute(ITEM.format(n=n, image="$1", thumb="'\\x00'::bytea"), blob)
            await conn.execute(KEPT.format(job="$1", data="$2"), f"j{n}", blob)
    finally:
        await conn.close()

    store = await PostgresStore.open(url, migrations=MIGRATIONS[:DROPS_FILES])
    assert store.migrations_applied == 1
    await store.close()

    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT to_regclass('kept_results')") is None
        assert tuple(await conn.fetchrow(
            "SELECT count(*), count(image) FROM board_items")) == (FILES, 0)
    finally:
        await conn.close()
