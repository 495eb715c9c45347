"""make_http_client() and fetch(): requests beyond the connection limit wait their turn, a
wait that runs out is a connection failure before anything was sent (which the provider
layer may retry), a read that does not come is a timeout, a body over its ceiling is
refused, a redirect is handed back rather than followed, and our User-Agent is sent."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.providers.errors import MalformedResponseError, ProviderConnectionError, ProviderTimeout
from bot.providers.http import USER_AGENT, ProviderTiming, Reply, fetch, make_http_client

pytestmark = pytest.mark.asyncio

TIMING = ProviderTiming(connect=2.0)


class Server:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self.served = 0

    async def slow(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        self.served += 1
        return web.Response(body=b"x" * 100_000)

    async def streamed(self, request: web.Request) -> web.StreamResponse:
        # No Content-Length: only counting the pieces finds the body too large.
        answer = web.StreamResponse()
        answer.enable_chunked_encoding()
        await answer.prepare(request)
        for _ in range(int(request.query["pieces"])):
            await answer.write(b"y" * 1000)
        await answer.write_eof()
        return answer

    async def agent(self, request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("User-Agent", ""))

    async def moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/slow")


@pytest.fixture
async def server() -> AsyncIterator[tuple[Server, str]]:
    server = Server(0.05)
    app = web.Application()
    app.router.add_get("/slow", server.slow)
    app.router.add_get("/streamed", server.streamed)
    app.router.add_get("/agent", server.agent)
    app.router.add_get("/moved", server.moved)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield server, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def get(http: aiohttp.ClientSession, url: str, read: float = 5.0, limit: int = 1000
              ) -> Reply:
    return await fetch(http, "GET", url, provider="test", http_timeout=TIMING.timeout(read),
                       limit=limit)


async def test_requests_over_the_limit_queue_and_all_complete(
    server: tuple[Server, str],
) -> None:
    slow, base = server
    async with make_http_client(max_connections=3) as http:
        replies = await asyncio.gather(
            *(get(http, f"{base}/slow", limit=200_000) for _ in range(12))
        )
    assert [(r.status, len(r.content)) for r in replies] == [(200, 100_000)] * 12
    assert slow.max_in_flight == 3


async def test_a_request_waiting_for_a_connection_fails_before_sending(
    server: tuple[Server, str],
) -> None:
    slow, base = server
    slow.delay = 1.0
    async with make_http_client(max_connections=1) as http:
        first = asyncio.create_task(get(http, f"{base}/slow", limit=200_000))
        await asyncio.sleep(0.05)
        # Nothing reached the server, which is what makes a retry safe.
        with pytest.raises(ProviderConnectionError, match="could not connect"):
            await get(http, f"{base}/slow", read=0.05, limit=200_000)
        assert slow.max_in_flight == 1
        assert (await first).status == 200
        assert slow.served == 1
        # The slot comes back: the next request goes through.
        slow.delay = 0.0
        assert (await get(http, f"{base}/slow", limit=200_000)).status == 200


async def test_a_read_that_does_not_come_is_a_timeout(server: tuple[Server, str]) -> None:
    slow, base = server
    slow.delay = 2.0
    async with make_http_client() as http:
        with pytest.raises(ProviderTimeout, match="timed out"):
            await get(http, f"{base}/slow", read=0.1, limit=200_000)


async def test_a_refused_connection_is_a_connection_failure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: the connect is refused
        async with make_http_client() as http:
            with pytest.raises(ProviderConnectionError):
                await get(http, f"http://127.0.0.1:{port}/")


async def test_a_body_over_its_ceiling_is_refused_declared_or_not(
    server: tuple[Server, str],
) -> None:
    _, base = server
    async with make_http_client() as http:
        with pytest.raises(MalformedResponseError, match="100000 bytes is over"):
            await get(http, f"{base}/slow", limit=99_999)
        with pytest.raises(MalformedResponseError, match="over the 5000-byte limit"):
            await get(http, f"{base}/streamed?pieces=6", limit=5000)
        reply = await get(http, f"{base}/streamed?pieces=5", limit=5000)
    assert reply.content == b"y" * 5000


async def test_a_redirect_is_handed_back_not_followed(server: tuple[Server, str]) -> None:
    slow, base = server
    async with make_http_client() as http:
        reply = await get(http, f"{base}/moved")
    assert (reply.status, reply.headers["location"], slow.served) == (302, "/slow", 0)


async def test_our_user_agent_is_sent(server: tuple[Server, str]) -> None:
    _, base = server
    async with make_http_client() as http:
        reply = await get(http, f"{base}/agent")
    assert reply.text == USER_AGENT


class _HugeReply(Reply):
    """An error page of megabytes, which must be read for its words only at its start."""

    @property
    def text(self) -> str:
        raise AssertionError("the whole body was decoded")


@pytest.mark.parametrize("status", [503, 400])
async def test_an_error_page_is_read_for_its_words_at_its_start_only(status: int) -> None:
    from bot.providers.http import error_from_reply

    # Tags, then a flood of `<` that no `>` closes, as a hostile or broken page sends.
    page = b"<html><body><h1>Service   Unavailable</h1>" + b"<" * 40_000_000
    error = error_from_reply(_HugeReply(status, {}, page), provider="onemin")
    assert error.args[0] == "Service Unavailable " + "<" * 180  # 200 characters in all
    assert len(error.body) <= 300


async def test_a_host_name_that_resolves_inside_the_network_is_not_connected_to(
    server: tuple[Server, str],
) -> None:
    # `localhost` stands for a result link's host that answered with a public address
    # when it was checked and with an internal one when it is fetched.
    _, url = server
    inside = url.replace("127.0.0.1", "localhost")
    async with make_http_client() as http:
        with pytest.raises(ProviderConnectionError):
            await get(http, f"{inside}/agent")
        assert (await get(http, f"{url}/agent")).status == 200  # the address as written
    # A provider's own configured host may be inside the network.
    async with make_http_client(trusted_hosts=["localhost"]) as http:
        assert (await get(http, f"{inside}/agent")).status == 200
