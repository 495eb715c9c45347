"""Shared test fixtures."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.catalogue import MODELS
from bot.catalogue.plan import make_plan
from bot.credits import CreditDefaults, Credits
from bot.credits.records import JobRecords
from bot.guilds import Guilds
from bot.providers.base import GenerationRequest, InputImage
from bot.providers.http import ProviderTiming, RetryPolicy, make_http_client
from bot.providers.router import Router
from bot.schema import open_store
from bot.storage import Store
from tests.support.postgres import PostgresUnavailable, ThrowawayPostgres
from tests.support.standins.apiframe import ApiframeStandIn
from tests.support.standins.images import make_image
from tests.support.standins.onemin import OneMinStandIn
from tests.support.standins.providers import TEST_KEYS, ProviderStandIns
from tests.support.standins.segmind import SegmindStandIn

# --- storage and credits fixtures (bot/storage, bot/credits) ----------------------------

# 2024-01-01 12:00:00 UTC: mid-day, so a test can reach the next UTC midnight in 12 h.
T0 = 1_704_110_400.0


class FakeClock:
    """A clock tests move by hand: `clock()` is the time, `clock.advance(s)` moves it."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_clock() -> type[FakeClock]:
    """For tests that need a fresh clock per example (hypothesis)."""
    return FakeClock


ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[ThrowawayPostgres]:
    """One throwaway PostgreSQL server for the whole run. Under CI (CI=true) a server that
    cannot start fails the tests that need it; elsewhere they are skipped, saying why."""
    try:
        server = ThrowawayPostgres().start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"no PostgreSQL here ({exc}); scripts/pg or apt-get install postgresql")
    yield server
    server.stop()


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The DATABASE_URL of a new, empty database of each engine in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fluxcord.db'}"
    server: ThrowawayPostgres = request.getfixturevalue("pg_server")
    return server.new_database()


@pytest.fixture
async def db(store_url: str) -> AsyncIterator[Store]:
    """An open store of each engine in turn: the contract every engine must keep."""
    database = await open_store(store_url)
    yield database
    await database.close()


@pytest.fixture
def credits(db: Store, clock: FakeClock) -> Credits:
    return Credits(db, CreditDefaults(), clock)


@pytest.fixture
def guilds(db: Store) -> Guilds:
    return Guilds(db, CreditDefaults())


@pytest.fixture
def records(db: Store, clock: FakeClock) -> JobRecords:
    return JobRecords(db, clock)


# --- end of storage and credits fixtures -------------------------------------------------


# --- provider stand-in fixtures (bot/providers; tests/support/standins/{onemin,apiframe,segmind}) -
# Each stand-in fixture fails the test at teardown if the code under test broke the
# provider's documented contract (the stand-in's `violations`). A test that sends a bad
# request on purpose clears `violations` after asserting on them.

# Tiny timeouts and delays: the whole provider suite runs in well under a minute.
FAST_TIMING = ProviderTiming(
    connect=2.0, sync_read=3.0, poll_read=2.0, poll_interval=0.01, poll_deadline=3.0,
    download_read=2.0, download_attempts=2, download_backoff=0.01,
)
FAST_POLICY = RetryPolicy(
    attempts=3, base_delay=0.01, max_delay=0.05, retry_after_cap=0.2, jitter=0.25
)


@pytest.fixture
def fast_timing() -> ProviderTiming:
    return FAST_TIMING


@pytest.fixture
def fast_policy() -> RetryPolicy:
    return FAST_POLICY


@pytest.fixture
async def provider_http() -> AsyncIterator[aiohttp.ClientSession]:
    async with make_http_client() as client:
        yield client


@pytest.fixture
async def onemin_standin() -> AsyncIterator[OneMinStandIn]:
    async with OneMinStandIn(TEST_KEYS["onemin"]) as standin:
        yield standin
    assert standin.violations == []


@pytest.fixture
async def apiframe_standin() -> AsyncIterator[ApiframeStandIn]:
    async with ApiframeStandIn(TEST_KEYS["apiframe"]) as standin:
        yield standin
    assert standin.violations == []


@pytest.fixture
async def segmind_standin() -> AsyncIterator[SegmindStandIn]:
    async with SegmindStandIn(TEST_KEYS["segmind"]) as standin:
        yield standin
    assert standin.violations == []


@pytest.fixture
async def provider_standins() -> AsyncIterator[ProviderStandIns]:
    """All three stand-ins; `settings_env()` gives the Settings fields pointing at them."""
    async with ProviderStandIns() as standins:
        yield standins
    assert standins.violations == []




@pytest.fixture
def make_request() -> Callable[..., GenerationRequest]:
    """`make_request(model, prompt=..., seed=..., image=False, cap=..., router=None,
    **options)`: the plan is the router's when one is given, else one attempt for every
    provider of the model that can take the options."""

    def build(
        model: str,
        *,
        prompt: str = "a lighthouse at dusk, watercolour",
        seed: int = 1234567,
        image: bool = False,
        cap: int = 6,
        job_id: str = "job-0001",
        router: Router | None = None,
        **options: Any,
    ) -> GenerationRequest:
        attachment = None
        if image:
            attachment = InputImage(
                make_image(64, 48, "png"), "reference.png", "image/png",
                "https://cdn.discordapp.com/attachments/1/2/reference.png?ex=1&is=2&hm=3",
            )
        if router is not None:
            plan = router.plan(model, options, cap, image=image)
        else:
            plan = make_plan(model, MODELS[model].schemas, options, cap, image=image)
        return GenerationRequest(job_id=job_id, prompt=prompt, seed=seed, plan=plan,
                                 image=attachment)

    return build


# --- end of provider stand-in fixtures ----------------------------------------------------


# The end-to-end fixtures (Discord stand-in, the bot) live in their own module.
pytest_plugins = ["tests.support.e2e_fixtures"]
