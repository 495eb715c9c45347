"""The PostgreSQL engine, for several bot processes (or machines) on one database.

Driver: asyncpg, with its own connection pool. It speaks PostgreSQL's binary protocol
natively on asyncio, prepares and caches each statement per connection without being
asked, and pipelines `executemany`; the credit rules are short chains of small
statements, so the cost per round trip decides the throughput, and asyncpg's is the
lowest of the asyncio drivers. psycopg 3 was measured too, in pipeline mode (the writes
of a rule sent without waiting, four round trips per reservation instead of ten): on this
two-core machine it made fewer reservations per second, because there the CPU each
statement costs the client matters more than the waits.

Every write rule runs in one READ COMMITTED transaction on one pooled connection; the
rules take advisory locks for what they check (server before member, see
`postgres_tx`), so concurrent reservations in any number of processes cannot overspend
and cannot deadlock. Reads run in REPEATABLE READ, READ ONLY: the audit sees one
snapshot. A rule that needs no transaction around its statements (`autocommit`: a job's
settings, each feature's alone) runs them each by itself, without BEGIN and COMMIT.
The schema is migrated at open under a session advisory lock, so processes starting
together take turns and only the first applies anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import asyncpg

from bot.storage.base import Rule, StorageError, Store, redact_url
from bot.storage.migrations import Migration, SchemaError
from bot.storage.postgres_tx import LOCK_MIGRATIONS, PostgresTransaction

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_SIZE = 16
CONNECT_TIMEOUT = 10.0


def _password(url: str) -> str | None:
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def describe(exc: BaseException, url: str) -> str:
    """An error's text with the URL's password taken out, wherever the driver put it."""
    text = f"{type(exc).__name__}: {exc}"
    password = _password(url)
    if password:
        text = text.replace(password, "***")
    return text.replace(url, redact_url(url))


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing (see `PostgresStore.open`)."""


class _OneStatement:
    """A connection that runs one statement, then refuses: the guard of a rule that
    promised `one_statement` and so runs outside a transaction."""

    __slots__ = ("_conn", "_used")

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._used = False

    def __getattr__(self, name: str) -> Any:
        if self._used:
            raise RuntimeError("a one-statement rule ran a second statement")
        self._used = True
        return getattr(self._conn, name)


class PostgresStore(Store):
    """The bot's PostgreSQL database. Open with
    `await PostgresStore.open(url, migrations=...)`, close once."""

    engine = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str, schema_version: int,
                 applied: int) -> None:
        super().__init__(schema_version, applied)
        self._pool = pool
        self.url = redact_url(url)

    @classmethod
    async def open(cls, url: str, *, migrations: Sequence[Migration],
                   pool_size: int = POOL_SIZE) -> PostgresStore:
        """Connects a pool to `url` (postgresql://user:password@host:port/dbname) and
        brings the schema up to date. Raises StorageError, without the password."""
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=pool_size, timeout=CONNECT_TIMEOUT,
                # Discord ids, epoch seconds and credits are all plain ints; no codecs.
                server_settings={"application_name": "fluxcord"},
                # Nothing to reset between uses: transaction locks end with their
                # transaction, session locks are given back by their holder, and no
                # connection is ever SET or LISTENs. Spares a round trip per transaction.
                reset=_keep_session,
            )
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                ValueError) as exc:
            raise StorageError(f"cannot connect to {redact_url(url)}: "
                               f"{describe(exc, url)}") from None
        try:
            async with pool.acquire() as conn:
                version, applied = await migrate(conn, migrations)
        except BaseException:
            await pool.close()
            raise
        log.info("database %s at schema version %d", redact_url(url), version)
        return cls(pool, url, version, applied)

    async def _shut(self) -> None:
        """Closes the pool once the transactions already running are done."""
        await self._pool.close()

    async def _run_read(self, rule: Rule[T], autocommit: bool) -> T:
        """`rule` runs in a REPEATABLE READ, READ ONLY transaction; with `autocommit`,
        each statement by itself (READ COMMITTED, as of the moment it runs): two round
        trips fewer (a job's settings are read so)."""
        if autocommit:
            async with self._pool.acquire() as conn:
                return await rule(PostgresTransaction(conn))
        async with self._pool.acquire() as conn, conn.transaction(
            isolation="repeatable_read", readonly=True
        ):
            return await rule(PostgresTransaction(conn))

    async def _run_write(self, rule: Rule[T], one_statement: bool, autocommit: bool) -> T:
        """`rule` runs in one transaction. As on SQLite, a transaction once started runs
        to its end when the caller is cancelled; here the cancellation reaches the caller
        only after it, so whatever the caller does next (a cancelled reservation is
        refunded) comes after the commit. With `one_statement` the statement runs alone,
        atomic by itself, and with `autocommit` each statement does: two round trips
        fewer (settle, job progress, and marking a job posting beside the balance read
        are such rules)."""
        task = asyncio.ensure_future(
            self._write_alone(rule, guard=one_statement) if one_statement or autocommit
            else self._write_in_transaction(rule))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            await asyncio.wait([task])
            raise

    async def _write_in_transaction(self, rule: Rule[T]) -> T:
        async with self._pool.acquire() as conn:
            # BEGIN goes with the rule's first statement (its locks: one round trip).
            tx = PostgresTransaction(conn, begin=True)
            try:
                result = await rule(tx)
                await tx.flush()
            except BaseException:
                try:
                    await tx.end("ROLLBACK")
                except (OSError, asyncpg.InterfaceError, asyncpg.PostgresError):
                    # Never back to the pool inside a transaction.
                    conn.terminate()
                raise
            await tx.end("COMMIT")
            return result

    async def _write_alone(self, rule: Rule[T], *, guard: bool) -> T:
        async with self._pool.acquire() as conn:
            tx = PostgresTransaction(_OneStatement(conn) if guard else conn)
            result = await rule(tx)
            await tx.flush()
            return result

    async def session_locks(self) -> SessionLocks:
        """A connection of the pool kept for session advisory locks held for the process's
        life (its shards); give it back with `SessionLocks.close` before closing the store."""
        conn: Any = await self._pool.acquire()
        return SessionLocks(conn, self._pool.release)


async def migrate(conn: asyncpg.Connection, migrations: Sequence[Migration]
                  ) -> tuple[int, int]:
    """Brings the schema up to date in one transaction under a session advisory lock, so
    processes starting together take turns; returns (version, migrations applied)."""
    await conn.execute("SELECT pg_advisory_lock($1, 0)", LOCK_MIGRATIONS)
    try:
        async with conn.transaction():
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            version = await conn.fetchval("SELECT max(version) FROM schema_version") or 0
            if version > len(migrations):
                raise SchemaError(
                    f"the database is at schema version {version}, newer than this bot "
                    f"knows ({len(migrations)}); upgrade the bot")
            for number, migration in enumerate(migrations[version:], start=version + 1):
                log.info("applying database migration %d", number)
                # Several statements: the simple protocol.
                await conn.execute(migration.render("postgresql"))
            if version < len(migrations):
                await conn.execute("DELETE FROM schema_version")
                await conn.execute("INSERT INTO schema_version VALUES ($1)", len(migrations))
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1, 0)", LOCK_MIGRATIONS)
    return len(migrations), len(migrations) - version


# Session advisory locks a process holds for its whole life, on one connection of its
# own: PostgreSQL gives them back by itself when that connection ends, so a process
# killed with -9 leaves no lock behind.
class SessionLocks:
    """Advisory locks (two int keys each) held on `conn` until `close`."""

    def __init__(self, conn: Any, release: Callable[[Any], Awaitable[None]]) -> None:
        self._conn = conn
        self._release = release
        # One statement at a time on the connection.
        self._busy = asyncio.Lock()
        self._closed = False
        self._listener: Callable[[Any], None] | None = None
        self._listening: list[tuple[str, Callable[..., None]]] = []

    def on_lost(self, callback: Callable[[], None]) -> None:
        """Calls `callback` should the connection end before `close` (the database
        restarted, the network failed): the locks went with it."""

        def ended(_conn: Any) -> None:
            if not self._closed:
                callback()

        self._listener = ended
        self._conn.add_termination_listener(ended)

    async def try_lock(self, space: int, key: int, *, shared: bool = False) -> bool:
        """Takes the lock if no other session holds it (exclusively, for `shared`)."""
        function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        async with self._busy:
            return bool(await self._conn.fetchval(f"SELECT {function}($1, $2)", space, key))

    async def lock(self, space: int, key: int) -> None:
        """Waits for the lock, then holds it."""
        async with self._busy:
            await self._conn.execute("SELECT pg_advisory_lock($1, $2)", space, key)

    async def unlock(self, space: int, key: int) -> None:
        async with self._busy:
            await self._conn.execute("SELECT pg_advisory_unlock($1, $2)", space, key)

    async def try_some(self, space: int, first: int, count: int, most: int,
                       held: Iterable[int] = ()) -> list[int]:
        """Takes up to `most` free locks of keys `first` to `first + count - 1`, the
        lowest first, skipping the keys this session `held` already (a session may take
        its own lock again), in one round trip; the keys taken."""
        async with self._busy:
            # CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and a
            # try on a key this session holds would take it once more, for good. LIMIT
            # stops the scan, and the tries, at the `most`-th key taken.
            rows = await self._conn.fetch(
                "SELECT k FROM generate_series($2::int, $2::int + $3::int - 1) AS k "
                "WHERE CASE WHEN k = ANY($4::int[]) THEN false "
                "ELSE pg_try_advisory_lock($1, k) END LIMIT $5",
                space, first, count, list(held), most)
        return [int(row[0]) for row in rows]

    async def unlock_and_notify(self, space: int, keys: Sequence[int], channel: str,
                                payloads: Sequence[str]) -> None:
        """Gives the locks back and tells every listener of `channel` each of `payloads`,
        in one round trip."""
        async with self._busy:
            # Referenced CTEs with volatile calls run whole, each exactly once.
            await self._conn.execute(
                "WITH unlocked AS (SELECT pg_advisory_unlock($1, k) "
                "FROM unnest($2::int[]) AS k), "
                "told AS (SELECT pg_notify($3, p) FROM unnest($4::text[]) AS p) "
                "SELECT (SELECT count(*) FROM unlocked), (SELECT count(*) FROM told)",
                space, list(keys), channel, list(payloads))

    async def notify(self, channel: str, payload: str) -> None:
        async with self._busy:
            await self._conn.execute("SELECT pg_notify($1, $2)", channel, payload)

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Calls `callback` with the payload of each notification on `channel`."""
        def heard(*args: Any) -> None:
            callback(args[-1])

        async with self._busy:
            await self._conn.add_listener(channel, heard)
        self._listening.append((channel, heard))

    async def keep_alive(self, idle: int, interval: int, count: int) -> None:
        """Has the server probe this connection, so that it drops the locks of a machine
        that vanished (no FIN ever comes) after about idle + interval * count seconds."""
        async with self._busy:
            await self._conn.execute(
                f"SET tcp_keepalives_idle = {int(idle)}; "
                f"SET tcp_keepalives_interval = {int(interval)}; "
                f"SET tcp_keepalives_count = {int(count)}")

    async def close(self) -> None:
        """Gives back every lock and the connection."""
        if self._closed:
            return
        self._closed = True
        if self._listener is not None:
            self._conn.remove_termination_listener(self._listener)
        try:
            # A connection already gone took its locks with it.
            with contextlib.suppress(OSError, asyncpg.InterfaceError, asyncpg.PostgresError):
                async with self._busy:
                    # The pool does not reset a connection it gets back (see PostgresStore).
                    await self._conn.execute("SELECT pg_advisory_unlock_all()")
                    for channel, heard in self._listening:
                        await self._conn.remove_listener(channel, heard)
        finally:
            await self._release(self._conn)
