"""The schema the migrations build, on both engines, is the frozen one in
tests/storage/frozen: for a new database, and for one created at an earlier version and
upgraded (every earlier version on SQLite; a few on PostgreSQL, each a new database).
And each table is written once: in its feature's `schema.py`, never in storage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.schema import MIGRATIONS
from bot.storage import SqliteStore
from bot.storage.postgres import PostgresStore
from tests.support.postgres import ThrowawayPostgres
from tests.support.schema_dump import POSTGRES_FILE, SQLITE_FILE, postgres_schema, sqlite_schema

SQLITE = json.loads(SQLITE_FILE.read_text(encoding="utf-8"))
POSTGRES = json.loads(POSTGRES_FILE.read_text(encoding="utf-8"))


def test_the_frozen_schemas_are_at_the_last_version() -> None:
    assert len(MIGRATIONS) == SQLITE["version"] == POSTGRES["version"]


async def test_sqlite_new_database(tmp_path: Path) -> None:
    path = tmp_path / "fluxcord.db"
    await (await SqliteStore.open(path, migrations=MIGRATIONS)).close()
    assert sqlite_schema(path) == SQLITE


@pytest.mark.parametrize("version", range(len(MIGRATIONS)))
async def test_sqlite_upgrade_from(version: int, tmp_path: Path) -> None:
    path = tmp_path / "fluxcord.db"
    await (await SqliteStore.open(path, migrations=MIGRATIONS[:version])).close()
    store = await SqliteStore.open(path, migrations=MIGRATIONS)
    assert store.migrations_applied == len(MIGRATIONS) - version
    await store.close()
    assert sqlite_schema(path) == SQLITE


async def test_postgresql_new_database(pg_server: ThrowawayPostgres) -> None:
    url = pg_server.new_database()
    await (await PostgresStore.open(url, migrations=MIGRATIONS)).close()
    assert await postgres_schema(url) == POSTGRES


# 1: before moderation; 2: before boards; 7: before the kept files are dropped.
@pytest.mark.parametrize("version", [1, 2, 7])
async def test_postgresql_upgrade_from(version: int, pg_server: ThrowawayPostgres) -> None:
    url = pg_server.new_database()
    await (await PostgresStore.open(url, migrations=MIGRATIONS[:version])).close()
    store = await PostgresStore.open(url, migrations=MIGRATIONS)
    assert store.migrations_applied == len(MIGRATIONS) - version
    await store.close()
    assert await postgres_schema(url) == POSTGRES


ROOT = Path(__file__).resolve().parents[2]


def test_tables_are_written_once_in_the_features() -> None:
    where = {path.relative_to(ROOT).as_posix()
             for path in (ROOT / "bot").rglob("*.py")
             # (The driver's own version table is the driver's.)
             if re.search(r"CREATE TABLE (?!IF NOT EXISTS schema_version)|ALTER TABLE",
                          path.read_text(encoding="utf-8"))}
    assert where and all(re.fullmatch(r"bot/\w+/schema\.py", p) for p in where), where
    # The engines' type names appear in one place only: the map of the storage driver.
    typed = {path.relative_to(ROOT).as_posix()
             for path in (ROOT / "bot").rglob("*.py")
             if re.search(r"\bBYTEA\b|DOUBLE PRECISION|AS IDENTITY",
                          path.read_text(encoding="utf-8"))}
    assert typed == {"bot/storage/migrations.py"}


def test_storage_holds_at_most_eight_modules() -> None:
    assert len(list((ROOT / "bot" / "storage").glob("*.py"))) <= 8
