"""make_http_client(): requests beyond the connection limit wait their turn, and a wait
that runs out is a timeout before anything was sent (which the provider layer may retry)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from bot.providers.http import make_http_client

pytestmark = pytest.mark.asyncio


class SlowServer:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return web.Response(body=b"x" * 100_000)


@pytest.fixture
async def slow_server() -> AsyncIterator[tuple[SlowServer, str]]:
    server = SlowServer(0.05)
    app = web.Application()
    app.router.add_get("/", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield server, f"http://127.0.0.1:{runner.addresses[0][1]}/"
    await runner.cleanup()


async def test_requests_over_the_limit_queue_and_all_complete(
    slow_server: tuple[SlowServer, str],
) -> None:
    server, url = slow_server
    async with make_http_client(max_connections=3, keepalive=3) as http:

        async def get() -> int:
            async with http.stream("GET", url) as response:
                body = b"".join([chunk async for chunk in response.aiter_bytes()])
                assert len(body) == 100_000
                return response.status_code

        statuses = await asyncio.gather(*(get() for _ in range(12)))
    assert statuses == [200] * 12
    assert server.max_in_flight == 3


async def test_a_request_waiting_for_a_connection_times_out_before_sending(
    slow_server: tuple[SlowServer, str],
) -> None:
    server, url = slow_server
    server.delay = 1.0
    async with make_http_client(max_connections=1) as http:
        first = asyncio.create_task(http.get(url))
        await asyncio.sleep(0.05)
        # aiohttp's transport reports the wait as a connect timeout; either way nothing
        # reached the server, which is what makes a retry safe (bot/providers/http.py).
        with pytest.raises((httpx.PoolTimeout, httpx.ConnectTimeout)):
            await http.get(url, timeout=httpx.Timeout(5.0, pool=0.05))
        assert server.max_in_flight == 1
        assert (await first).status_code == 200
        # The slot comes back: the next request goes through.
        server.delay = 0.0
        assert (await http.get(url)).status_code == 200


async def test_a_body_comes_in_the_pieces_the_socket_gave(
    slow_server: tuple[SlowServer, str],
) -> None:
    # Re-cutting a megabyte image into 16 KB pieces copied all of it and cost 64 trips
    # through the stream's iterators per download.
    server, url = slow_server
    server.delay = 0
    async with make_http_client() as http, http.stream("GET", url) as response:
        chunks = [chunk async for chunk in response.aiter_bytes()]
    assert b"".join(chunks) == b"x" * 100_000
    assert max(len(chunk) for chunk in chunks) > 16 * 1024
