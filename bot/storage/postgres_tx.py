"""PostgreSQL's driver: one open transaction on an asyncpg connection.

Statements come written once for both engines, in PostgreSQL's dialect ($n placeholders;
see `bot.storage.sqlite_tx`), and run as written; bulk rows go by COPY, and a statement's
row count is read from asyncpg's status line (`row_count`). Each call awaits the server,
so the locks are real: `lock_guild` and
`lock_member` take transaction-level advisory locks, released at COMMIT or ROLLBACK.
Advisory locks also cover a member who has no row yet, which SELECT … FOR UPDATE cannot.
A write's BEGIN waits for its first statement: a rule's locks, taken first, go with it
in one round trip.

The hot writes whose result no rule reads (a member's balance, a job, ledger rows, the
budget) are held back and sent together, as one statement of data-modifying CTEs, just
before the next statement or the COMMIT: a reservation's four writes cost one round trip.
Two held writes never touch the same row (a second write to a row sends the first), so
their order within the statement cannot matter; foreign keys are checked at its end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import asyncpg

from bot.storage.base import StorageError

# The first key of every advisory lock fluxcord takes: what kind of thing is locked.
# (Two-key advisory locks live apart from one-key ones, which other programs tend to use.)
LOCK_MIGRATIONS = 0x464C5800
LOCK_GUILD = 0x464C5801
LOCK_MEMBER = 0x464C5802
# Session locks held for a process's life: one per shard (key: the shard; -1, shared by
# every shard process, exclusive for one that runs them all).
LOCK_SHARD = 0x464C5803
# Held while a process compares and registers the slash commands.
LOCK_COMMANDS = 0x464C5804
# Held while a process books a shard's turn to identify (key: the identify bucket).
LOCK_IDENTIFY = 0x464C5805


def lock_key(*ids: int) -> int:
    """Folds Discord ids into the signed 32-bit second key of an advisory lock. Two
    things sharing a key only wait for each other; the lock order still holds."""
    key = 0
    for value in ids:
        key = (key * 1_000_003) ^ value
    key = (key ^ (key >> 32) ^ (key >> 64)) & 0xFFFFFFFF
    return key - (1 << 32) if key >= 1 << 31 else key


def row_count(status: str) -> int:
    """The rows a statement changed, from asyncpg's status line ("DELETE 1",
    "INSERT 0 3", "UPDATE 2"): its last number, 0 when it has none."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


def _lock_sql(space: int, key: int) -> str:
    """The statement that takes a transaction lock, its keys written in: the simple
    protocol, which can follow BEGIN in one round trip, takes no parameters. Both are
    ints made here, never text from anyone."""
    return f"SELECT pg_advisory_xact_lock({int(space)}, {int(key)});"


@lru_cache(maxsize=64)
def _shifted(sql: str, offset: int) -> str:
    """The statement with its placeholders $n renumbered to $(n + offset)."""
    return re.sub(r"\$(\d+)", lambda m: f"${int(m[1]) + offset}", sql)


class HeldWrites:
    """The connection, holding back writes (`defer`) until the next statement, and the
    transaction's BEGIN until its first (`begin`)."""

    __slots__ = ("_conn", "_keys", "_writes", "begin", "begun")

    def __init__(self, conn: Any, *, begin: bool = False) -> None:
        self._conn = conn
        self._writes: list[tuple[str, tuple[Any, ...]]] = []
        self._keys: set[tuple[Any, ...]] = set()
        # BEGIN is still to be sent (with the first statement); it was sent.
        self.begin = begin
        self.begun = False

    async def start(self, first: str = "") -> None:
        """Sends BEGIN, with `first` (statements without parameters) after it in the
        same round trip."""
        self.begin, self.begun = False, True
        await self._conn.execute(f"BEGIN; {first}" if first else "BEGIN")

    async def end(self, command: str) -> None:
        """COMMIT or ROLLBACK, when BEGIN was sent. A COMMIT that PostgreSQL answers with
        ROLLBACK (the transaction had failed) raises: nothing of it was written."""
        if self.begun:
            self.begun = False
            status = await self._conn.execute(command)
            if command == "COMMIT" and status != "COMMIT":
                raise StorageError(f"COMMIT answered {status}: nothing was written")

    async def defer(self, row: tuple[Any, ...] | None, sql: str, *args: Any) -> None:
        """Holds a write; `row` names the row it changes (None: a new row every time)."""
        if row is not None:
            if row in self._keys:
                await self.flush()
            self._keys.add(row)
        self._writes.append((sql, args))

    async def flush(self) -> None:
        """Sends the held writes, as one statement."""
        if self.begin and self._writes:
            await self.start()
        writes, self._writes = self._writes, []
        self._keys.clear()
        if len(writes) == 1:
            sql, args = writes[0]
            await self._conn.execute(sql, *args)
        elif writes:
            parts: list[str] = []
            params: list[Any] = []
            for n, (sql, args) in enumerate(writes):
                parts.append(f"w{n} AS ({_shifted(sql, len(params))})")
                params.extend(args)
            await self._conn.execute(f"WITH {', '.join(parts)} SELECT 1", *params)

    async def _ready(self) -> None:
        """Before a statement: BEGIN, when still to be sent, and the held writes."""
        if self.begin:
            await self.start()
        if self._writes:
            await self.flush()

    async def execute(self, sql: str, *args: Any) -> str:
        if self.begin or self._writes:
            await self._ready()
        status: str = await self._conn.execute(sql, *args)
        return status

    async def executemany(self, sql: str, rows: Any) -> None:
        if self.begin or self._writes:
            await self._ready()
        await self._conn.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        if self.begin or self._writes:
            await self._ready()
        rows: list[Any] = await self._conn.fetch(sql, *args)
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        if self.begin or self._writes:
            await self._ready()
        return await self._conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        if self.begin or self._writes:
            await self._ready()
        return await self._conn.fetchval(sql, *args)

    async def copy_records_to_table(self, table: str, **kwargs: Any) -> None:
        if self.begin or self._writes:
            await self._ready()
        await self._conn.copy_records_to_table(table, **kwargs)


class PostgresTransaction:
    """The statements fluxcord runs, on an asyncpg connection inside an open transaction.

    With `begin`, the transaction is opened here: its BEGIN goes with its first
    statement, and with a rule's locks, taken first, in one round trip; `end` closes it."""

    __slots__ = ("_conn",)

    def __init__(self, conn: asyncpg.Connection, *, begin: bool = False) -> None:
        self._conn = HeldWrites(conn, begin=begin)

    async def flush(self) -> None:
        """Sends the writes still held back; the store calls it before COMMIT."""
        await self._conn.flush()

    async def end(self, command: str) -> None:
        """Ends a transaction opened with `begin` by `command` (COMMIT or ROLLBACK);
        nothing when no statement ever opened it."""
        await self._conn.end(command)

    # -- locks -------------------------------------------------------------------------

    async def lock_guild(self, guild_id: int) -> None:
        """Waits for, then holds, the server's lock until the transaction ends."""
        if self._conn.begin:
            await self._conn.start(_lock_sql(LOCK_GUILD, lock_key(guild_id)))
            return
        await self._conn.execute("SELECT pg_advisory_xact_lock($1, $2)",
                                 LOCK_GUILD, lock_key(guild_id))

    async def lock_member(self, guild_id: int, user_id: int) -> None:
        """Waits for, then holds, the server's lock and then the member's until the
        transaction ends: one round trip, with the BEGIN when it is still to be sent.
        (The subquery is evaluated first, which keeps the order.)"""
        if self._conn.begin:
            # Statements run in their order: the server's lock, then the member's.
            await self._conn.start(
                _lock_sql(LOCK_GUILD, lock_key(guild_id))
                + _lock_sql(LOCK_MEMBER, lock_key(guild_id, user_id)))
            return
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock($3, $4) "
            "FROM (SELECT pg_advisory_xact_lock($1, $2) OFFSET 0) AS server_first",
            LOCK_GUILD, lock_key(guild_id), LOCK_MEMBER, lock_key(guild_id, user_id))

    # -- statements written once for both engines ($n placeholders) ---------------------

    async def execute(self, sql: str, *args: Any) -> int:
        """Runs a statement; returns how many rows it changed."""
        return row_count(await self._conn.execute(sql, *args))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Runs a statement once per row of parameters."""
        await self._conn.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """Every row the statement returns."""
        rows: list[Sequence[Any]] = await self._conn.fetch(sql, *args)
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        """The first row the statement returns, or None."""
        row: Sequence[Any] | None = await self._conn.fetchrow(sql, *args)
        return row

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """The first column of the first row, or None when there is no row."""
        return await self._conn.fetchval(sql, *args)

    async def defer(self, row: tuple[Any, ...] | None, sql: str, *args: Any) -> None:
        """Holds a write whose result no rule reads, to send it with the next statement
        (`row` names the row it changes; None: a new row every time)."""
        await self._conn.defer(row, sql, *args)

    async def copy_in(self, table: str, columns: Sequence[str],
                      rows: Iterable[Sequence[Any]]) -> None:
        """Inserts many rows given in the order of `columns` (COPY: one round trip)."""
        await self._conn.copy_records_to_table(table, columns=columns, records=rows)

    async def fetchnamed(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Every row the statement returns, as column name -> value."""
        return [dict(row) for row in await self._conn.fetch(sql, *args)]

    # -- meta --------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        value: str | None = await self._conn.fetchval(
            "SELECT value FROM meta WHERE key = $1", key)
        return value

    async def set_meta(self, key: str, value: str) -> None:
        await self._conn.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)

    # -- copying -----------------------------------------------------------------------

    async def _columns(self, table: str) -> list[str]:
        """A table's columns in their order; ValueError for a table that is not there."""
        rows = await self._conn.fetch(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = $1 "
            "ORDER BY ordinal_position", table)
        if not rows:
            raise ValueError(f"no table {table!r}")
        return [row[0] for row in rows]

    async def dump(self, table: str) -> list[tuple[Any, ...]]:
        """Every row of a table, in its column order."""
        # Names from the database's own catalogue, checked to exist: never user input.
        columns = ", ".join(await self._columns(table))
        rows = await self._conn.fetch(f"SELECT {columns} FROM {table} ORDER BY 1")
        return [tuple(row) for row in rows]

    async def load(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Inserts rows given in the table's column order (COPY: one round trip)."""
        await self.copy_in(table, await self._columns(table), rows)
        if table == "ledger":
            # Copied ids were given explicitly; new rows must be numbered after them.
            await self._conn.execute(
                "SELECT setval(pg_get_serial_sequence('ledger', 'id'), "
                "COALESCE(MAX(id), 0) + 1, false) FROM ledger")
