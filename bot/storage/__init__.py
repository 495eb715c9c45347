"""Storage: one seam (`Store`, `Transaction`), two engines: SQLite (one process,
embedded) and PostgreSQL (several processes), chosen by the scheme of DATABASE_URL. The
features' statements live in the features (`bot/<feature>/store.py`), their tables in
`bot/<feature>/schema.py`; `bot.schema` hands the ordered migrations to `open_store`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.storage.base import Rule, StorageError, Store, Transaction, redact_url, url_passwords
from bot.storage.migrations import Migration, SchemaError
from bot.storage.sqlite import SqliteStore

__all__ = [
    "Migration",
    "Rule",
    "SchemaError",
    "SqliteStore",
    "StorageError",
    "Store",
    "Transaction",
    "open_store",
    "redact_url",
    "sqlite_path",
    "url_passwords",
]

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL: `sqlite:///rel.db` is relative, `sqlite:////abs.db`
    absolute."""
    return Path(url.removeprefix(SQLITE_PREFIX))


async def open_store(url: str, migrations: Sequence[Migration]) -> Store:
    """Opens the database DATABASE_URL names and brings it to the end of `migrations`; the
    engine follows its scheme. Raises StorageError for a scheme no engine serves."""
    if url.startswith(SQLITE_PREFIX):
        return await SqliteStore.open(sqlite_path(url), migrations=migrations)
    if url.startswith(POSTGRES_SCHEMES):
        # Imported here: a SQLite deployment never loads the PostgreSQL driver.
        from bot.storage.postgres import PostgresStore

        return await PostgresStore.open(url, migrations=migrations)
    raise StorageError(f"no database engine for {redact_url(url)!r}; "
                       "use sqlite:///path or postgresql://user:password@host:port/dbname")
