"""Polling an asynchronous provider job (apiframe, BFL) until it ends: the one poll loop.

A poll that fails transiently (5xx, 429, the network) costs only an interval, since the
job keeps running at the provider; a rejection ends the loop at once. The router's
overall deadline bounds the whole call; `deadline` here is the provider's own patience.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.providers.errors import ProviderError, ProviderTimeout, RateLimitError

log = logging.getLogger(__name__)

T = TypeVar("T")


async def poll_until(
    check: Callable[[], Awaitable[T | None]],
    *,
    provider: str,
    job: str,
    interval: float,
    deadline: float,
) -> T:
    """Calls `check` every `interval` s until it returns something other than None.

    `check` raises a ProviderError for a failed poll; a retryable one is waited out (a 429's
    Retry-After honoured within the deadline). ProviderTimeout after `deadline` s.
    """
    give_up = time.monotonic() + deadline
    while True:
        await asyncio.sleep(interval)
        try:
            found = await check()
        except ProviderError as exc:
            if not exc.retryable:
                raise
            log.info("%s: poll of %s failed (%s)", provider, job, type(exc).__name__)
            if isinstance(exc, RateLimitError) and exc.retry_after:
                await asyncio.sleep(min(exc.retry_after, max(0.0, give_up - time.monotonic())))
        else:
            if found is not None:
                return found
        if time.monotonic() >= give_up:
            raise ProviderTimeout(
                f"job {job} not finished after {deadline:g}s", provider=provider
            )
