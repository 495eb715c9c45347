"""The SQLite engine: one long-lived aiosqlite connection in WAL mode.

Every read or write is a rule (`async def rule(tx)`) run whole on the connection's own
thread, inside a transaction: one thread hop per call instead of one per statement. The
thread drives the rule's coroutine itself; the transaction's methods never suspend, so the
rule runs to its end in one go and no other coroutine's statements can slip into the
middle of a check-then-write; that is what serialises transactions.

Group commit: calls submitted while the thread is busy wait for it together, then run as
one batch in one transaction, each inside its own savepoint (a function that raises undoes
only its own writes) and all committed at once before any caller gets its result. Under
load that saves a hop and a commit per call; alone, a call is its own batch.
BEGIN IMMEDIATE plus busy_timeout covers the one writer this cannot see: another process
on the same file.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.base import Rule, Store
from bot.storage.migrations import Migration, migrate, reclaims_space, vacuum
from bot.storage.sqlite_tx import SqliteTransaction

log = logging.getLogger(__name__)

T = TypeVar("T")

# (True, result) or (False, the exception the function raised)
_Outcome = tuple[bool, Any]


BUSY_TIMEOUT_MS = 5000


@dataclass(slots=True)
class _Pending:
    fn: Rule[Any]
    write: bool
    future: asyncio.Future[Any]


def _configure(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> tuple[int, int]:
    conn.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL loses no committed transaction on a process crash (only, at
    # worst, the last ones on a power cut), and spares an fsync per commit.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
    compact = reclaims_space(conn, migrations)
    applied = migrate(conn, migrations)
    if compact and applied:
        vacuum(conn)
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    return version, applied


def _drive(awaitable: Any) -> Any:
    """Runs a rule's coroutine to its end on this thread and returns its result.

    SQLite's transaction methods never suspend, so a rule finishes at the first `send`.
    One that does suspend awaited something outside the transaction: a bug in the rule.
    """
    coro: Coroutine[Any, Any, Any] = awaitable
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("a storage rule awaited something other than its transaction")


def _on_db_thread(
    conn: aiosqlite.Connection, fn: Callable[[], T], future: asyncio.Future[T] | None = None
) -> asyncio.Future[T]:
    """Queues `fn` to run on the connection's thread; `future` (or a new one) gets its
    result or exception.

    aiosqlite has no public call for this. Its own `Connection._execute` does exactly this
    wrapped in a coroutine, which would cost a Task and about 30 µs of event-loop turns on
    every hop; so we put the (future, function) pair on the queue `_execute` uses.
    aiosqlite is pinned in pyproject.toml; every storage test fails if this changes.
    """
    if future is None:
        future = asyncio.get_running_loop().create_future()
    conn._tx.put_nowait((future, fn))
    return future


class SqliteStore(Store):
    """The bot's SQLite database. Open with `await SqliteStore.open(path, migrations=...)`,
    close once."""

    engine = "sqlite"

    def __init__(
        self, conn: aiosqlite.Connection, path: Path, schema_version: int, applied: int
    ) -> None:
        super().__init__(schema_version, applied)
        self._conn = conn
        self._sqlite = conn._conn  # only ever used on the database thread
        self._tx = SqliteTransaction(self._sqlite)
        self._queue: list[_Pending] = []
        self._batch: asyncio.Future[Any] | None = None  # the batch on the thread now
        self.path = path

    @classmethod
    async def open(cls, path: Path | str, *, migrations: Sequence[Migration]) -> SqliteStore:
        """Opens (creating it and its folder if needed) and migrates the database file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            version, applied = await _on_db_thread(
                conn, partial(_configure, conn._conn, migrations))
        except BaseException:
            await conn.close()
            raise
        log.info("database %s at schema version %d", path, version)
        return cls(conn, path, version, applied)

    async def _shut(self) -> None:
        """Closes the connection once the work already submitted is done."""
        while self._batch is not None:
            await asyncio.wait([self._batch])
        try:
            await _on_db_thread(self._conn, partial(self._sqlite.execute, "PRAGMA optimize"))
        except sqlite3.OperationalError as exc:
            # Only statistics for the next start: another process writing to the file
            # at that moment ("database is locked") is no reason to fail the close.
            log.info("database statistics not refreshed at close: %s", exc)
        finally:
            await self._conn.close()

    def _run_read(self, rule: Rule[T], autocommit: bool) -> asyncio.Future[T]:
        """`rule` runs on the database thread, in a transaction (one consistent
        snapshot). `autocommit` changes nothing here: the rule runs whole in one hop to
        the thread either way."""
        return self._submit(rule, write=False)

    def _run_write(self, rule: Rule[T], one_statement: bool, autocommit: bool
                   ) -> asyncio.Future[T]:
        """`rule` runs on the database thread and may await only its transaction; once
        submitted it runs to its end. `one_statement` and `autocommit` change nothing
        here: group commit already shares transactions."""
        return self._submit(rule, write=True)

    def _submit(self, fn: Rule[T], write: bool) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(fn, write, future))
        if self._batch is None:
            self._start_batch()
        return future

    def _start_batch(self) -> None:
        # Group commit: everything submitted while the previous batch ran goes to the
        # thread in one hop and is committed once. The batch state lives on the event
        # loop's thread only, so it needs no lock.
        batch, self._queue = self._queue, []
        if len(batch) == 1:
            # Alone, the caller's own future is the batch: no extra loop turns.
            (pending,) = batch
            self._batch = _on_db_thread(
                self._conn, partial(self._run_one, pending), pending.future
            )
            self._batch.add_done_callback(self._batch_done)
        else:
            self._batch = _on_db_thread(self._conn, partial(self._run_batch, batch))
            self._batch.add_done_callback(partial(self._finish_batch, batch))

    def _batch_done(self, _: object = None) -> None:
        # A cancelled caller's batch may still be running on the thread; the next one
        # simply queues behind it there.
        self._batch = None
        if self._queue:
            self._start_batch()

    def _finish_batch(self, batch: list[_Pending], done: asyncio.Future[list[_Outcome]]
                      ) -> None:
        outcomes: list[_Outcome]
        if done.cancelled():
            outcomes = [(False, RuntimeError("database batch cancelled"))] * len(batch)
        elif done.exception() is not None:
            # The whole transaction failed: none of the batch was committed.
            outcomes = [(False, done.exception())] * len(batch)
        else:
            outcomes = done.result()
        for pending, (ok, value) in zip(batch, outcomes, strict=True):
            if pending.future.done():
                continue  # its caller was cancelled; the work was still done
            if ok:
                pending.future.set_result(value)
            else:
                pending.future.set_exception(value)
        self._batch_done()

    def _run_one(self, pending: _Pending) -> Any:
        """On the database thread: one function in its own transaction."""
        conn = self._sqlite
        conn.execute("BEGIN IMMEDIATE" if pending.write else "BEGIN")
        try:
            result = _drive(pending.fn(self._tx))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    def _run_batch(self, batch: list[_Pending]) -> list[_Outcome]:
        """On the database thread: the batch's functions in one transaction, each inside its
        own savepoint so that one that raises undoes only its own writes."""
        conn = self._sqlite
        conn.execute("BEGIN IMMEDIATE" if any(p.write for p in batch) else "BEGIN")
        outcomes: list[_Outcome] = []
        try:
            for pending in batch:
                conn.execute("SAVEPOINT call")
                try:
                    value = _drive(pending.fn(self._tx))
                except Exception as exc:
                    if not conn.in_transaction:
                        raise  # SQLite gave up the whole transaction (disk full, I/O error)
                    conn.execute("ROLLBACK TO call")
                    outcomes.append((False, exc))
                else:
                    outcomes.append((True, value))
                conn.execute("RELEASE call")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return outcomes
