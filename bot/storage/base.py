"""The seam between the features and the engines: what a store and a transaction offer.

Storage knows no feature. A transaction offers statements with parameters (`execute`,
`fetch`, ...; each written once for both engines, see `bot.storage.sqlite_tx`), and the
two locks. Each feature keeps its own statements in its `store.py`, as functions of a
transaction, and its rules are `async def rule(tx)` functions handed to `Store.read` or
`Store.write`, the door every rule goes through; each engine subclasses `Store` and runs
the rules its own way:

- SQLite (`bot.storage.sqlite`) runs a rule whole on its database thread by driving the
  coroutine there; its methods never suspend, so nothing else runs between a check and
  its write and the locks are no-ops.
- PostgreSQL (`bot.storage.postgres`) runs the same rule in a real transaction on a
  pooled connection, where other processes write at the same moment: a rule that checks
  a balance or a budget first takes the locks for what it checks, in one fixed order,
  server before member (`lock_member` takes both), so two rules cannot deadlock.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import unquote

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

class StorageError(Exception):
    """The database cannot be reached or used; the text never holds a password."""


# `user:password@` before the host, up to its last `@` (a password may hold a raw `@` or
# `/` an operator did not encode), and a `password=` among the query's parameters
# (libpq's and asyncpg's other place for it).
_USER_PASSWORD = re.compile(r"(://[^:/@?#]*:)([^?#]*)@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&#]*)", re.IGNORECASE)


def redact_url(url: str) -> str:
    """The database URL with its passwords replaced, fit for logs and error texts."""
    return _QUERY_PASSWORD.sub(r"\1***", _USER_PASSWORD.sub(r"\1***@", url))


def url_passwords(url: str) -> list[str]:
    """The passwords a database URL holds, as written and decoded, for the log filter."""
    found = [m[2] for pattern in (_USER_PASSWORD, _QUERY_PASSWORD)
             for m in pattern.finditer(url)]
    return [variant for password in found if password
            for variant in dict.fromkeys((password, unquote(password)))]


class Statements(Protocol):
    """Statements with parameters inside one open transaction, whatever the engine.

    A statement is written once, in PostgreSQL's dialect with `$n` placeholders; the
    SQLite driver runs the same text (see `bot.storage.sqlite_tx`). A row is a sequence
    of the selected columns, in their order."""

    async def execute(self, sql: str, *args: Any) -> int:
        """Runs a statement; returns how many rows it changed."""

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Runs a statement once per row of parameters."""

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """Every row the statement returns."""

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        """The first row the statement returns, or None."""

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """The first column of the first row, or None when there is no row."""

    async def fetchnamed(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Every row the statement returns, as column name -> value."""

    async def defer(self, row: tuple[Any, ...] | None, sql: str, *args: Any) -> None:
        """Runs a write whose result no rule reads; an engine may hold it back and send it
        with the next statement or the COMMIT. `row` names the row it changes (None: a
        new row every time): a second write to a held row sends the first."""

    async def copy_in(self, table: str, columns: Sequence[str],
                      rows: Iterable[Sequence[Any]]) -> None:
        """Inserts many rows given in the order of `columns` (bulk loads, copies)."""

    async def lock_guild(self, guild_id: int) -> None:
        """Holds the server's lock until the transaction ends, for a rule that checks
        only the server."""

    async def lock_member(self, guild_id: int, user_id: int) -> None:
        """Holds the server's lock, then the member's, until the transaction ends: the
        one fixed order, taken in one call. A rule takes it once, before its reads."""


class Transaction(Statements, Protocol):
    """One open transaction of some engine: its statements, and the few the store itself
    runs (the meta table; whole tables for `python -m bot migrate-to`)."""

    async def get_meta(self, key: str) -> str | None:
        """A meta value, or None."""

    async def set_meta(self, key: str, value: str) -> None:
        """Stores a meta value."""

    # Whole tables, for copying a database to another engine (`python -m bot migrate-to`).
    async def dump(self, table: str) -> list[tuple[object, ...]]:
        """Every row of a table, in its column order."""

    async def load(self, table: str, rows: list[tuple[object, ...]]) -> None:
        """Inserts rows given in the table's column order."""


Rule = Callable[[Transaction], Awaitable[T]]


class Store:
    """An open database of one engine. Open with `bot.schema.open_store(url)`, close once.

    The door every feature's rules go through: `read` and `write` run a rule, whatever the
    engine.
    What every engine shares is written here once (the closed store's refusal, the meta
    table, the context manager); an engine subclass runs the rules (`_run_read`,
    `_run_write`) and lets go of its connections (`_shut`)."""

    engine: str  # "sqlite" or "postgresql"

    def __init__(self, schema_version: int, applied: int) -> None:
        self.schema_version = schema_version
        # How many migrations this open applied: 0 when the database was already current.
        self.migrations_applied = applied
        self._closing = False

    async def read(self, rule: Rule[T], *, autocommit: bool = False) -> T:
        """Runs `rule` in a read-only transaction (one consistent snapshot).

        `autocommit`: the rule's reads need not agree with one another (each is whole on
        its own, such as the settings of separate features); an engine may run each
        statement by itself, as of the moment it runs, sparing BEGIN and COMMIT."""
        if self._closing:
            raise RuntimeError("the database is closed")
        return await self._run_read(rule, autocommit)

    async def write(self, rule: Rule[T], *, one_statement: bool = False,
                    autocommit: bool = False) -> T:
        """Runs `rule` in a write transaction: committed if it returns, undone if it
        raises. Once submitted it runs to its end even if the caller is cancelled.

        `one_statement`: the rule runs a single statement, which is atomic on its own;
        an engine may then spare the transaction's BEGIN and COMMIT (and refuses a
        second statement). `autocommit`: each of the rule's statements is atomic on its
        own and the rule needs no more (a single write, reads that need no snapshot,
        no lock); an engine may run each by itself, committed as it runs."""
        if self._closing:
            raise RuntimeError("the database is closed")
        return await self._run_write(rule, one_statement, autocommit)

    async def close(self) -> None:
        """Lets go of the database once the work already submitted is done; again is
        nothing."""
        if self._closing:
            return
        self._closing = True
        await self._shut()

    async def get_meta(self, key: str) -> str | None:
        """A value of the key-value meta table, or None."""
        return await self.read(lambda tx: tx.get_meta(key))

    async def set_meta(self, key: str, value: str) -> None:
        """Stores a value in the key-value meta table."""
        await self.write(lambda tx: tx.set_meta(key, value))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # What each engine implements.

    def _run_read(self, rule: Rule[T], autocommit: bool) -> Awaitable[T]:
        raise NotImplementedError

    def _run_write(self, rule: Rule[T], one_statement: bool, autocommit: bool
                   ) -> Awaitable[T]:
        raise NotImplementedError

    async def _shut(self) -> None:
        raise NotImplementedError
