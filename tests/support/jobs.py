"""The job service wired on a real store (SQLite or PostgreSQL) and the placeholder
provider, for the tests of a job's way through the database: the transactions are
counted around the store, and the upload (Discord's part) is played by the caller."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.credits import CreditDefaults, Credits
from bot.credits.records import JobRecords
from bot.guilds import Guilds
from bot.jobs.ports import Keeper, Screen
from bot.jobs.service import JobService
from bot.limits import FairScheduler
from bot.providers import Router, build_router
from bot.providers.http import make_http_client
from bot.schema import open_store
from bot.settings import Settings
from bot.storage import Rule, Store


class CountedStore:
    """The real store, counting the transactions run on it (`reads`, `writes`, and both
    as `count`); `on_write` is told of each write before it runs."""

    def __init__(self, db: Store) -> None:
        self._db = db
        self.reads = 0
        self.writes = 0
        self.on_write: Callable[[], None] = lambda: None

    @property
    def count(self) -> int:
        return self.reads + self.writes

    async def read(self, rule: Rule[Any], *, autocommit: bool = False) -> Any:
        self.reads += 1
        return await self._db.read(rule, autocommit=autocommit)

    async def write(self, rule: Rule[Any], *, one_statement: bool = False,
                    autocommit: bool = False) -> Any:
        self.writes += 1
        self.on_write()
        return await self._db.write(rule, one_statement=one_statement, autocommit=autocommit)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


@dataclass(frozen=True, slots=True)
class Wired:
    jobs: JobService
    db: Any  # a CountedStore, standing in for the Store
    settings: Settings
    credits: Credits
    guilds: Guilds
    records: JobRecords
    router: Router


@contextlib.asynccontextmanager
async def wired_jobs(
    store_url: str,
    *,
    scheduler: FairScheduler | None = None,
    keeper: Callable[[Any], Keeper] | None = None,
    screens: Callable[[Any, Settings, Router], Sequence[Screen[Any]]] | None = None,
    **services: Any,
) -> AsyncIterator[Wired]:
    """The job service over a fresh store at `store_url`. `keeper` and `screens` are made
    from the counted store (and the settings and router); the other `services` (option
    sources, the log channel's read) go to the service as they are."""
    values = {"DISCORD_TOKEN": "token", "PLACEHOLDER_PROVIDER": True,
              "DATABASE_URL": store_url}
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]
    real = await open_store(settings.DATABASE_URL)
    db: Any = CountedStore(real)
    try:
        async with make_http_client() as http:
            defaults = CreditDefaults.from_settings(settings)
            credits, guilds, records = Credits(db, defaults), Guilds(db, defaults), JobRecords(db)
            router = build_router(settings, http)
            jobs = JobService(
                settings=settings, store=db, credits=credits, guilds=guilds, records=records,
                scheduler=scheduler or FairScheduler(), router=router, fetch=_no_fetch,
                keeper=keeper(db) if keeper is not None else None,
                screens=screens(db, settings, router) if screens is not None else (),
                **services)
            yield Wired(jobs, db, settings, credits, guilds, records, router)
    finally:
        await real.close()


async def _no_fetch(url: str) -> bytes:
    raise AssertionError("no attachment in these tests")
