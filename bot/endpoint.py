"""The small HTTP server an operator's Prometheus and orchestrator talk to (SPEC section
14): `/metrics` (the families of `bot.metrics`), `/healthz` (the process runs) and
`/readyz` (it can serve members). It reads the running services, so it stands above them,
beside the Discord client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics.families import Metrics

if TYPE_CHECKING:
    import discord

    from bot.services import Services

log = logging.getLogger(__name__)

# A database that does not answer a one-row read in this time is not ready.
DATABASE_TIMEOUT = 2.0


class Readiness:
    """Whether the bot can serve members now: connected to Discord, the database answers,
    and it is not stopping."""

    def __init__(self, services: Services, client: discord.Client) -> None:
        self._services = services
        self._client = client

    async def problem(self) -> str | None:
        """What keeps the bot from serving, or None when it is ready."""
        if self._services.jobs.draining:
            return "stopping"
        client = self._client
        if client.is_closed() or not client.is_ready():
            return "not connected to Discord"
        shards = getattr(client, "shards", {})
        if any(shard.is_closed() for shard in shards.values()):
            return "a shard is not connected to Discord"
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                await self._services.store.get_meta("readyz")
        except Exception as exc:
            log.warning("/readyz: the database did not answer (%s)", type(exc).__name__)
            return "the database does not answer"
        return None


def make_app(metrics: Metrics, readiness: Readiness) -> web.Application:
    """The three routes; anything else is 404."""

    async def scrape(request: web.Request) -> web.Response:
        # Rendering is pure CPU over a few hundred series: well under a millisecond.
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        problem = await readiness.problem()
        if problem is not None:
            return web.Response(status=503, text=f"not ready: {problem}\n")
        return web.Response(text="ready\n")

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


@contextlib.asynccontextmanager
async def serve_metrics(services: Services, client: discord.Client) -> AsyncIterator[None]:
    """Serves the endpoint on METRICS_HOST:METRICS_PORT while the block runs; nothing
    when METRICS_PORT is unset."""
    settings = services.settings
    metrics = services.metrics
    if settings.METRICS_PORT is None or metrics is None:
        yield
        return
    counter = metrics.count_discord_rate_limits(logging.getLogger("discord.http"))
    runner = web.AppRunner(make_app(metrics, Readiness(services, client)), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.METRICS_HOST, settings.METRICS_PORT)
        await site.start()
        log.info("metrics and health on http://%s:%d (/metrics, /healthz, /readyz)",
                 settings.METRICS_HOST, settings.METRICS_PORT)
        yield
    finally:
        await runner.cleanup()
        logging.getLogger("discord.http").removeFilter(counter)
