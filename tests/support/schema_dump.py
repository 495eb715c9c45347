"""The schema of a database as plain data, to compare one built by today's migrations
with the frozen copy in tests/storage/frozen (`python -m tests.support.schema_dump` writes
that copy again; do it only when a new migration changes the schema on purpose)."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

DATA = Path(__file__).resolve().parent.parent / "storage" / "frozen"
SQLITE_FILE = DATA / "schema_sqlite.json"
POSTGRES_FILE = DATA / "schema_postgres.json"


def _normalise(sql: str | None) -> str | None:
    """A statement without comments and with single spaces: the text SQLite keeps may
    differ in layout between two scripts that build the same thing."""
    if sql is None:
        return None
    sql = re.sub(r"--[^\n]*", "", sql)
    sql = re.sub(r"\s+", " ", sql).strip()
    return re.sub(r"\s*([(),])\s*", r"\1", sql)


def sqlite_schema(path: Path | str) -> dict[str, Any]:
    """Every table, index and trigger of a SQLite file, and its user_version."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
        (version,) = conn.execute("PRAGMA user_version").fetchone()
    finally:
        conn.close()
    return {"version": version,
            "objects": [[kind, name, table, _normalise(sql)] for kind, name, table, sql in rows]}


async def postgres_schema(url: str) -> dict[str, Any]:
    """Every column, constraint and index of a PostgreSQL database's public schema, and
    its schema_version."""
    conn = await asyncpg.connect(url)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name, ordinal_position, data_type, is_nullable, "
            "column_default, is_identity, identity_generation "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position")
        constraints = await conn.fetch(
            "SELECT c.conrelid::regclass::text AS tbl, c.conname, c.contype::text, "
            "pg_get_constraintdef(c.oid) AS def FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' "
            "ORDER BY 1, 2")
        indexes = await conn.fetch(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' ORDER BY tablename, indexname")
        version = await conn.fetchval("SELECT max(version) FROM schema_version")
    finally:
        await conn.close()
    return {"version": version,
            "columns": [list(r.values()) for r in columns],
            "constraints": [list(r.values()) for r in constraints],
            "indexes": [list(r.values()) for r in indexes]}


def _write(path: Path, schema: dict[str, Any]) -> None:
    path.write_text(json.dumps(schema, indent=1) + "\n", encoding="utf-8")


async def _freeze() -> None:
    from bot.schema import MIGRATIONS
    from bot.storage import SqliteStore
    from bot.storage.postgres import PostgresStore
    from tests.support.postgres import ThrowawayPostgres

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fluxcord.db"
        await (await SqliteStore.open(path, migrations=MIGRATIONS)).close()
        _write(SQLITE_FILE, sqlite_schema(path))
    server = ThrowawayPostgres()
    server.start()
    try:
        url = server.new_database()
        await (await PostgresStore.open(url, migrations=MIGRATIONS)).close()
        _write(POSTGRES_FILE, await postgres_schema(url))
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(_freeze())

