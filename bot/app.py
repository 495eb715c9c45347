"""Opens the long-lived resources once and wires the domain together."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import aiohttp

from bot.admin import ServerAdmin
from bot.admin.screen import AllowedModels
from bot.admin.server import log_channel_rule
from bot.boards.service import Boards
from bot.boards.source import BoardStyleSource
from bot.continuity import Continuity
from bot.credits import CreditDefaults, Credits
from bot.credits.records import JobRecords
from bot.guilds import Guilds
from bot.jobs.request import MAX_INPUT_BYTES
from bot.jobs.service import JobService
from bot.limits import FairScheduler
from bot.moderation import Policy, load_file
from bot.moderation.screen import ModerationScreen
from bot.moderation.service import Moderation
from bot.presets import Presets
from bot.presets.source import PresetSource
from bot.privacy import Privacy
from bot.provenance.signing import load_signer
from bot.providers import build_router, provider_hosts
from bot.providers.http import ProviderTiming, RetryPolicy, make_http_client
from bot.schema import open_store
from bot.services import Services
from bot.settings import Settings

# Connect within 10 s; no wait for a connection and no gap between reads over 30 s.
ATTACHMENT_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=30.0, sock_connect=10.0,
                                           sock_read=30.0)


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    clock: Callable[[], float] | None = None,
    timing: ProviderTiming | None = None,
    policy: RetryPolicy | None = None,
) -> AsyncIterator[Services]:
    """The HTTP client, the database and everything built on them, closed on exit.

    `clock`, `timing` and `policy` are for tests and benchmarks; the bot uses defaults.
    """
    # Read and checked off the event loop (its regexes are probed); a bad line stops the
    # start with BlocklistFileError, one line each.
    operator_list = await asyncio.to_thread(load_file, settings.BLOCKLIST_FILE)
    # Tried once on a tiny image; bad keys stop the start with SigningError.
    signer = await asyncio.to_thread(load_signer, settings.C2PA_SIGN_CERT,
                                     settings.C2PA_SIGN_KEY)
    async with make_http_client(trusted_hosts=provider_hosts(settings)) as http:
        db = await open_store(settings.DATABASE_URL)
        try:
            defaults = CreditDefaults.from_settings(settings)
            credits = Credits(db, defaults, **_clock(clock))
            guilds = Guilds(db, defaults)
            records = JobRecords(db, **_clock(clock))
            boards = Boards(db, **_clock(clock))
            presets = Presets(db, **_clock(clock))
            privacy = Privacy(db, credits, max_retention_days=settings.MAX_RETENTION_DAYS,
                              **_clock(clock))
            admin = ServerAdmin(db, settings, **_clock(clock))
            continuity = Continuity(db, input_retention_days=settings.INPUT_RETENTION_DAYS,
                                    **_clock(clock))
            timing = timing or ProviderTiming(poll_interval=settings.APIFRAME_POLL_SECONDS)
            router = build_router(settings, http, timing=timing, policy=policy)
            metrics = None
            if settings.METRICS_PORT is not None:
                # Imported only when wanted: prometheus_client costs ~12 MB of memory.
                from bot.metrics import Metrics
                metrics = Metrics()
            router.observer = metrics
            scheduler = FairScheduler(
                per_member=settings.MAX_JOBS_PER_MEMBER,
                per_server=settings.MAX_JOBS_PER_SERVER,
                max_waiting_per_member=settings.MAX_QUEUED_PER_MEMBER,
            )
            moderation = Moderation(db, Policy.from_settings(settings), operator_list,
                                    clock=clock or time.time)
            jobs = JobService(
                settings=settings,
                store=db,
                credits=credits,
                guilds=guilds,
                records=records,
                scheduler=scheduler,
                router=router,
                fetch=lambda url: fetch_attachment(http, url),
                # SPEC's order of options is resolve()'s; sources only fill their slots.
                sources=(BoardStyleSource(), PresetSource()),
                # The models allowed here first: a forbidden model is no strike.
                screens=(AllowedModels(router.offered), ModerationScreen(moderation)),
                keeper=continuity,
                observers=(metrics,) if metrics is not None else (),
                log_channel=log_channel_rule,
            )
            if metrics is not None:
                metrics.watch(jobs.waiting.counts, lambda: {
                    s.provider: s.healthy for s in router.status() if s.configured})
            try:
                yield Services(settings=settings, store=db, credits=credits, guilds=guilds,
                               records=records, router=router, jobs=jobs,
                               moderation=moderation, boards=boards, admin=admin,
                               continuity=continuity, presets=presets, privacy=privacy,
                               signer=signer, metrics=metrics)
            finally:
                # Jobs still in flight are refunded while the database is open.
                await jobs.cancel_all()
        finally:
            await db.close()


def _clock(clock: Callable[[], float] | None) -> dict[str, Callable[[], float]]:
    return {"clock": clock} if clock is not None else {}


async def fetch_attachment(http: aiohttp.ClientSession, url: str) -> bytes:
    """Downloads a Discord attachment, refusing anything over the input limit."""
    chunks: list[bytes] = []
    size = 0
    async with http.get(url, timeout=ATTACHMENT_TIMEOUT, allow_redirects=False) as response:
        if not 200 <= response.status < 300:
            raise ValueError(f"attachment answered HTTP {response.status}")
        async for chunk, _ in response.content.iter_chunks():
            size += len(chunk)
            if size > MAX_INPUT_BYTES:
                raise ValueError("attachment larger than the input limit")
            chunks.append(chunk)
    return b"".join(chunks)
