"""What is PostgreSQL's own: migrations under an advisory lock, errors without the
password, session locks for processes. (The shared contract is in the other files.)"""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.schema import MIGRATIONS, open_store
from bot.settings import Settings
from bot.storage import Migration, SchemaError, StorageError, Transaction, postgres_tx
from bot.storage.postgres import PostgresStore
from tests.support.postgres import ThrowawayPostgres, _free_port

PASSWORD = "hunter2-n0t-for-logs"


async def test_processes_starting_together_migrate_once(pg_server: ThrowawayPostgres) -> None:
    url = pg_server.new_database()
    stores = await asyncio.gather(
        *(PostgresStore.open(url, migrations=MIGRATIONS) for _ in range(5)))
    try:
        assert sorted(s.migrations_applied for s in stores) == [0, 0, 0, 0, len(MIGRATIONS)]
        assert {s.schema_version for s in stores} == {len(MIGRATIONS)}
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_a_newer_database_is_refused(pg_server: ThrowawayPostgres) -> None:
    url = pg_server.new_database()
    later = (*MIGRATIONS, Migration("CREATE TABLE later (x INTEGER);"))
    await (await PostgresStore.open(url, migrations=later)).close()
    with pytest.raises(SchemaError, match="newer than this bot"):
        await PostgresStore.open(url, migrations=MIGRATIONS)


async def test_a_failing_migration_changes_nothing(pg_server: ThrowawayPostgres) -> None:
    url = pg_server.new_database()
    with pytest.raises(Exception, match="syntax"):
        await PostgresStore.open(url, migrations=(*MIGRATIONS, Migration("CREATE TABLE oops (")))
    store = await PostgresStore.open(url, migrations=MIGRATIONS)
    assert store.migrations_applied == len(MIGRATIONS)  # the first one was undone too
    await store.close()


@pytest.mark.parametrize("where", ["nothing listens", "no such database",
                                   "no such database, password in the query",
                                   "no such database, password with a raw @"])
async def test_the_password_is_in_no_error_or_log_line(
    pg_server: ThrowawayPostgres, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    if where == "nothing listens":
        url = f"postgresql://fluxcord:{PASSWORD}@127.0.0.1:{_free_port()}/fluxcord"
    elif where.endswith("in the query"):
        url = f"{pg_server.url('missing_db')}?sslmode=disable&password={PASSWORD}"
    elif where.endswith("raw @"):
        url = pg_server.url("missing_db", password=f"{PASSWORD}@{PASSWORD}")
    else:
        url = pg_server.url("missing_db", password=PASSWORD)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StorageError) as caught:
        await open_store(url)
    text = str(caught.value)
    assert "cannot connect to postgresql://" in text and "***" in text
    assert PASSWORD not in text
    assert PASSWORD not in caplog.text


def test_the_database_password_is_a_secret_for_the_log_filter() -> None:
    settings = Settings(_env_file=None, DISCORD_TOKEN="t",  # type: ignore[call-arg]
                        DATABASE_URL=f"postgresql://bot:{PASSWORD}@db.internal:5432/fluxcord")
    assert PASSWORD in settings.secrets()
    assert PASSWORD not in settings.database_name
    with pytest.raises(ValueError, match="must name the host and the database"):
        Settings(_env_file=None, DISCORD_TOKEN="t",  # type: ignore[call-arg]
                 DATABASE_URL="postgresql://bot@db.internal")


async def test_a_one_statement_rule_cannot_run_two(pg_server: ThrowawayPostgres) -> None:
    async def two(tx: Transaction) -> None:
        await tx.set_meta("a", "1")
        await tx.set_meta("b", "2")

    async with await PostgresStore.open(pg_server.new_database(), migrations=MIGRATIONS) as store:
        with pytest.raises(RuntimeError, match="second statement"):
            await store.write(two, one_statement=True)
        await store.write(lambda tx: tx.set_meta("c", "3"), one_statement=True)
        assert await store.get_meta("c") == "3"


async def _fails_after_its_locks(tx: Transaction) -> None:
    await tx.lock_member(1, 2)
    await tx.set_meta("half", "done")
    raise ValueError("changed my mind")


def _loop_complaints() -> list[str]:
    """What the loop is told from here on. asyncpg's pool rolls back a connection handed
    back inside a transaction, and says so to the loop: the store must end it itself."""
    said: list[str] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda loop, context: said.append(str(context.get("message"))))
    return said


async def test_a_rule_that_fails_after_its_locks_gives_them_back(
    pg_server: ThrowawayPostgres,
) -> None:
    # BEGIN goes out with the locks in one round trip; a rule that then fails is rolled
    # back: its writes undone, its locks given back, its connection fit for the next.
    url = pg_server.new_database()

    said = _loop_complaints()

    async with await PostgresStore.open(url, migrations=MIGRATIONS, pool_size=1) as store, \
            await PostgresStore.open(url, migrations=MIGRATIONS) as other:
        with pytest.raises(ValueError, match="changed my mind"):
            await store.write(_fails_after_its_locks)
        assert said == []

        async def locks(tx: Transaction) -> None:
            await tx.lock_member(1, 2)
            await tx.set_meta("other", "took the lock")

        await asyncio.wait_for(other.write(locks), 10)
        await store.write(lambda tx: tx.set_meta("next", "written"))
        assert (await store.get_meta("half"), await store.get_meta("next"),
                await store.get_meta("other")) == (None, "written", "took the lock")


async def test_a_connection_whose_rollback_fails_is_closed_not_pooled(
    pg_server: ThrowawayPostgres, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Should ROLLBACK itself fail (the connection broke mid-transaction), the connection
    # never goes back to the pool: the next write gets a fresh one, the locks are free.
    url = pg_server.new_database()

    said = _loop_complaints()

    async with await PostgresStore.open(url, migrations=MIGRATIONS, pool_size=1) as store:
        ending = postgres_tx.HeldWrites.end

        async def rollback_fails(self: postgres_tx.HeldWrites, command: str) -> None:
            if command == "ROLLBACK":
                raise OSError("connection reset by peer")
            await ending(self, command)

        monkeypatch.setattr(postgres_tx.HeldWrites, "end", rollback_fails)
        with pytest.raises(ValueError, match="changed my mind"):
            await store.write(_fails_after_its_locks)
        monkeypatch.setattr(postgres_tx.HeldWrites, "end", ending)

        async def locks(tx: Transaction) -> None:
            await tx.lock_member(1, 2)
            await tx.set_meta("next", "written")

        await asyncio.wait_for(store.write(locks), 10)
        assert (await store.get_meta("half"), await store.get_meta("next")) == (None, "written")
    assert said == []  # the pool was never handed a connection inside a transaction


async def test_a_commit_answered_with_rollback_raises(pg_server: ThrowawayPostgres) -> None:
    # A statement that failed inside the transaction, its error swallowed by the rule:
    # PostgreSQL answers the COMMIT with ROLLBACK, and nothing may pass for written.
    url = pg_server.new_database()

    async def swallows(tx: Transaction) -> None:
        await tx.set_meta("half", "done")
        try:
            await tx.execute("SELECT 1 / 0")
        except Exception:  # what a careless rule would do
            pass

    async with await PostgresStore.open(url, migrations=MIGRATIONS) as store:
        with pytest.raises(StorageError, match="COMMIT answered ROLLBACK"):
            await store.write(swallows)
        assert await store.get_meta("half") is None
