"""Shared HTTP plumbing of the hosted providers: the client factory, timeouts, the retry
policy, the mapping of HTTP answers onto the error tree, and streamed downloads.

One `aiohttp.ClientSession` serves the whole process: the entry point makes it with
`make_http_client()` and passes it to every provider; timeouts are given per request.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import ipaddress
import json
import logging
import random
import re
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import aiohttp.abc

from bot import images
from bot.providers.errors import (
    AuthenticationError,
    InsufficientProviderCredit,
    InvalidRequestError,
    MalformedResponseError,
    ModerationError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ResultUnavailable,
    ServerError,
)
from bot.providers.slots import ResultSlots, Slot
from bot.redact import scrub

log = logging.getLogger(__name__)

USER_AGENT = "fluxcord/0.1"
# A JSON answer larger than this is not a real API answer.
MAX_JSON_BYTES = 2 * 1024 * 1024
# How much of an error's body is read for its words (of which 200 characters are kept).
TEXT_HEAD = 4096
# An HTML tag, or a run of white space, in an error page's words.
_TAGS_AND_SPACE = re.compile(r"<[^<>]*>|\s+")
MODERATION_PATTERN = re.compile(
    r"content[ _-]?policy|moderat|nsfw|safety[ _-]?(?:filter|system|check)|flagged", re.I
)


@dataclass(frozen=True, slots=True)
class ProviderTiming:
    """Timeouts and polling knobs; production defaults, tests pass tiny ones."""

    connect: float = 10.0
    # 1min.ai and Segmind v1 answer only when the image is made.
    sync_read: float = 180.0
    # apiframe submit and poll calls are quick; the poll loop has its own deadline.
    poll_read: float = 30.0
    poll_interval: float = 2.0
    poll_deadline: float = 300.0
    download_read: float = 60.0
    max_download_bytes: int = 40 * 1024 * 1024
    # Attempts at fetching a result URL (free to repeat, unlike the generation).
    download_attempts: int = 3
    download_backoff: float = 0.5

    def timeout(self, read: float) -> aiohttp.ClientTimeout:
        """A request's timeouts: a new connection made within `connect`, a wait for a free
        one (plus the connect) within `read`, and no gap between reads longer than `read`.
        No total: a synchronous provider may take all of `sync_read` to start answering."""
        return _timeout(self.connect, read)


# Made once per pair of limits: every request asks for one.
@functools.lru_cache(maxsize=32)
def _timeout(connect: float, read: float) -> aiohttp.ClientTimeout:
    # aiohttp's `connect` spans the wait for a pooled connection and the connect itself.
    # It has no write timeout, and `sock_read` starts once the body is sent: an upload the
    # provider stops reading is ended by the router's deadline.
    return aiohttp.ClientTimeout(total=None, connect=read, sock_connect=connect, sock_read=read)


# What a client does when a request names no timeouts (the providers always do).
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=30.0, sock_connect=10.0,
                                        sock_read=30.0)
# Compact, UTF-8, and no NaN: the bodies the providers have always been sent.
_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"),
                           allow_nan=False)


def make_http_client(*, max_connections: int = 64, trusted_hosts: Iterable[str] = ()
                     ) -> aiohttp.ClientSession:
    """The process-wide client: at most `max_connections` connections (a request over
    that waits its turn, within its `connect` timeout), idle ones kept 30 s, our
    User-Agent. Redirects are never followed implicitly: `fetch` refuses them and a
    download follows them itself. A host name resolves only to public addresses, but for
    `trusted_hosts` (the providers' configured ones: `PublicResolver`). Make it inside
    the event loop; close it with `close()` or `async with`."""
    connector = aiohttp.TCPConnector(limit=max_connections, keepalive_timeout=30.0,
                                     resolver=PublicResolver(trusted_hosts))
    return aiohttp.ClientSession(
        connector=connector,
        headers={"User-Agent": USER_AGENT},
        timeout=DEFAULT_TIMEOUT,
        json_serialize=_dumps,
    )


class PublicResolver(aiohttp.abc.AbstractResolver):
    """aiohttp's resolver, keeping only the public addresses of any host but `trusted`
    ones (the providers' own, which an operator may run inside the network). A result
    link is checked before it is fetched (`check_result_url`), but its host is looked
    up again to connect, and may answer with an internal address the second time (DNS
    rebinding): this is where that answer is refused. An address written in the URL
    itself is not looked up, and is judged by that check alone."""

    def __init__(self, trusted: Iterable[str] = ()) -> None:
        self._inner = aiohttp.DefaultResolver()
        self._trusted = frozenset(host.lower() for host in trusted)

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET
                      ) -> list[aiohttp.abc.ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if host.lower() in self._trusted:
            return found
        public = [result for result in found if _public_text(result["host"])]
        if not public:
            raise OSError(f"{host} resolves to no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()


def _public_text(address: str) -> bool:
    try:
        return _public(ipaddress.ip_address(address))
    except ValueError:  # a scoped (link-local) IPv6 address, say
        return False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries of retryable errors: exponential backoff with jitter, Retry-After
    honoured up to a cap (a provider asking for an hour gets `retry_after_cap`)."""

    attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 10.0
    retry_after_cap: float = 20.0
    jitter: float = 0.25

    def delay(self, attempt: int, error: ProviderError | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1` after `error`."""
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return self.cooldown(error)
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return backoff * (1 - self.jitter * random.random())

    def cooldown(self, error: RateLimitError) -> float:
        """How long a provider that answered 429 is left alone."""
        if error.retry_after is None:
            return min(self.base_delay, self.retry_after_cap)
        return max(0.0, min(error.retry_after, self.retry_after_cap))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After in seconds, from delta-seconds or an HTTP date; None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def safe_url(url: str) -> str:
    """A URL for the logs: scheme, host and path, without a (signed) query string."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer read in full (within a size ceiling)."""

    status: int
    # aiohttp's headers: looked up by name in any case.
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def head(self, limit: int = TEXT_HEAD) -> str:
        """The start of the body as text, for an error's words or a log: an error page can
        be megabytes long, and is neither decoded nor searched past `limit` bytes."""
        return self.content[:limit].decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not (a body nested deeper than
        Python's recursion limit included: no API answers like that)."""
        try:
            return json.loads(self.content)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


async def fetch(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    provider: str,
    http_timeout: aiohttp.ClientTimeout,
    limit: int = MAX_JSON_BYTES,
    on_headers: Callable[[int], Awaitable[None]] | None = None,
    **kwargs: Any,
) -> Reply:
    """One HTTP exchange, body streamed with a ceiling, redirects not followed. A read
    timeout becomes ProviderTimeout (the provider may be working on it); a connect timeout,
    a wait for a free connection that runs out, or any other transport failure
    ProviderConnectionError; a body over `limit` MalformedResponseError. `kwargs` go to
    aiohttp (`headers`, `json`, `data`). `on_headers(status)` runs once the headers are in,
    before the body is read."""
    try:
        async with http.request(
            method, url, timeout=http_timeout, allow_redirects=False, **kwargs
        ) as response:
            if on_headers is not None:
                await on_headers(response.status)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise MalformedResponseError(
                    f"answer of {declared} bytes is over the {limit}-byte limit",
                    provider=provider, status=response.status,
                )
            # The pieces as aiohttp received them, joined once (no copy for a single one).
            chunks: list[bytes] = []
            total = 0
            async for chunk, _ in response.content.iter_chunks():
                total += len(chunk)
                if total > limit:
                    raise MalformedResponseError(
                        f"answer is over the {limit}-byte limit",
                        provider=provider, status=response.status,
                    )
                chunks.append(chunk)
            return Reply(response.status, response.headers, b"".join(chunks))
    except aiohttp.ConnectionTimeoutError as exc:
        # Nothing reached the provider: as safe to retry as a refused connection.
        raise ProviderConnectionError(
            f"{method} {safe_url(url)} could not connect ({type(exc).__name__})",
            provider=provider,
        ) from exc
    except TimeoutError as exc:  # aiohttp's SocketTimeoutError: a read that did not come
        raise ProviderTimeout(
            f"{method} {safe_url(url)} timed out ({type(exc).__name__})", provider=provider
        ) from exc
    except aiohttp.ClientError as exc:
        raise ProviderConnectionError(
            f"{method} {safe_url(url)} failed ({type(exc).__name__})", provider=provider
        ) from exc


def error_message(reply: Reply, secrets: Iterable[str] = ()) -> str:
    """The provider's own words from an error body: JSON `message`/`error`/`html-message`/
    `detail`, else the start of the text; `secrets` scrubbed from it before it is cut (a
    key cut in two would no longer be found)."""
    try:
        data = reply.json()
    except ValueError:
        # A tag ends at its `>` or at the next `<`: a page of `<` and no `>` is not searched
        # to its end from every one of them.
        return _TAGS_AND_SPACE.sub(" ", scrub(reply.head(), secrets)).strip()[:200]
    found = _find_message(data)
    if found is not None:
        return scrub(found[:TEXT_HEAD], secrets)[:200]
    return scrub(reply.head(), secrets)[:200]


def _find_message(data: Any) -> str | None:
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        for key in ("message", "error", "html-message", "detail", "errorCode", "code"):
            if key in data:
                found = _find_message(data[key])
                if found:
                    return found
    if isinstance(data, list) and data:
        return _find_message(data[0])
    return None


def error_from_reply(
    reply: Reply,
    *,
    provider: str,
    secrets: Iterable[str] = (),
    credit_statuses: Iterable[int] = (402,),
) -> ProviderError:
    """The error-tree member for a non-2xx answer, with the key scrubbed from its text."""
    secrets = list(secrets)
    status = reply.status
    message = error_message(reply, secrets) or f"HTTP {status}"
    body = scrub(reply.head(), secrets)
    kwargs: dict[str, Any] = {"provider": provider, "status": status, "body": body}
    if status in set(credit_statuses):
        return InsufficientProviderCredit(message, **kwargs)
    if status in (401, 403):
        return AuthenticationError(message, **kwargs)
    if status == 429:
        retry_after = parse_retry_after(reply.headers.get("retry-after"))
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    if status == 408 or status >= 500:
        return ServerError(message, **kwargs)
    if MODERATION_PATTERN.search(message):
        return ModerationError(message, **kwargs)
    return InvalidRequestError(message, **kwargs)


async def decode_image(
    data: bytes, *, provider: str, expected: str | None = None
) -> images.ImageInfo:
    """Checks that `data` is a whole PNG/JPEG/WebP image (its structure, on the loop); a
    failure here comes after the provider made the image, so it is not retried."""
    try:
        info = await images.inspect_async(data)
    except images.ImageError as exc:
        raise ResultUnavailable(f"the result is {exc}", provider=provider) from None
    if expected is not None and images.normalise_format(expected) != info.format:
        log.warning("%s: asked for %s, got %s; keeping it", provider, expected, info.format)
    return info


# Redirects a result download may follow (signed-URL services use one, rarely two).
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


async def _internal(host: str) -> bool:
    """True when `host` is, or resolves to, a loopback, private, link-local or otherwise
    non-public address (where a result link has no business pointing), also written as
    an IPv6 address that carries an IPv4 one; or when it does not resolve (it could
    resolve inside the network by the time it is fetched)."""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        except OSError:
            return True
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    return not all(_public(a) for a in addresses)


# NAT64's prefixes: the last 32 bits are the IPv4 address reached.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A global address, and so is the IPv4 address an IPv6 one carries (mapped,
    6to4, NAT64 or the old IPv4-compatible form)."""
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    carried = [address.ipv4_mapped, address.sixtofour]
    if any(address in prefix for prefix in _NAT64) or int(address) >> 32 == 0:
        carried.append(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    return all(inner is None or inner.is_global for inner in carried)


async def check_result_url(url: str, *, provider: str, base_url: str) -> None:
    """Refuses a result link (or a redirect's target) that is not https (or the scheme
    of the provider's configured base URL) or that points inside the network. When the
    configured host is itself internal (a test or a self-hosted gateway), only that very
    host and port is allowed among internal addresses."""
    target, base = urlsplit(url), urlsplit(base_url)
    if target.scheme not in ("https", base.scheme) or not target.hostname:
        raise ResultUnavailable(
            f"result link {safe_url(url)} is not allowed (scheme)", provider=provider
        )
    if not await _internal(target.hostname):
        return
    if base.hostname and await _internal(base.hostname) and target.netloc == base.netloc:
        return
    raise ResultUnavailable(
        f"result link {safe_url(url)} is not allowed (an internal address)", provider=provider
    )


async def _get_following(
    http: aiohttp.ClientSession, url: str, *, provider: str, timing: ProviderTiming, base_url: str
) -> Reply:
    """GET `url`, following redirects one by one, each target checked first."""
    for _ in range(MAX_REDIRECTS + 1):
        await check_result_url(url, provider=provider, base_url=base_url)
        reply = await fetch(
            http, "GET", url, provider=provider,
            http_timeout=timing.timeout(timing.download_read),
            limit=timing.max_download_bytes,
        )
        location = reply.headers.get("location")
        if reply.status not in _REDIRECTS or not location:
            return reply
        url = urljoin(url, location)
    raise ResultUnavailable(f"more than {MAX_REDIRECTS} redirects", provider=provider)


async def download(
    http: aiohttp.ClientSession,
    url: str,
    *,
    provider: str,
    timing: ProviderTiming,
    base_url: str,
    slots: ResultSlots,
    expected: str | None = None,
) -> tuple[bytes, images.ImageInfo, Slot]:
    """Fetches a result URL at once (no API key sent), within the size ceiling, retrying
    transient failures of the download only; raises ResultUnavailable when it cannot.
    Redirects are followed only to allowed targets (`check_result_url`). The bytes hold a
    slot of `slots` from before the first is read; the caller releases it."""
    slot = await slots.take()
    try:
        data, info = await _download(
            http, url, provider=provider, timing=timing, base_url=base_url, expected=expected
        )
    except BaseException:
        slot.release()
        raise
    return data, info, slot


async def _download(
    http: aiohttp.ClientSession,
    url: str,
    *,
    provider: str,
    timing: ProviderTiming,
    base_url: str,
    expected: str | None,
) -> tuple[bytes, images.ImageInfo]:
    last: ProviderError | None = None
    for attempt in range(1, timing.download_attempts + 1):
        try:
            reply = await _get_following(
                http, url, provider=provider, timing=timing, base_url=base_url
            )
        except (ProviderTimeout, ProviderConnectionError) as exc:
            last = exc
        except ResultUnavailable:
            raise
        except MalformedResponseError as exc:
            raise ResultUnavailable(str(exc.args[0]), provider=provider) from None
        else:
            if reply.status < 300:
                info = await decode_image(reply.content, provider=provider, expected=expected)
                return reply.content, info
            if reply.status < 500 and reply.status != 429:
                raise ResultUnavailable(
                    "the result link has expired or was refused", provider=provider,
                    status=reply.status, body=reply.head(),
                )
            last = error_from_reply(reply, provider=provider)
        log.info("%s: download of %s failed (%s), attempt %d", provider, safe_url(url),
                 type(last).__name__, attempt)
        if attempt < timing.download_attempts:
            await asyncio.sleep(timing.download_backoff * attempt)
    raise ResultUnavailable(
        f"could not download the result ({type(last).__name__})", provider=provider,
        status=last.status if last else None,
    )
