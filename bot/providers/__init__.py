"""The provider layer: one module per hosted API, the local placeholder, the registry
that lists them, and the router.

The entry point makes one `aiohttp.ClientSession` (`make_http_client()`) and builds the
router from the settings with `build_router(settings, http)`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp

from bot.providers.base import (
    GeneratedImage,
    GenerationRequest,
    InputImage,
    Provider,
    ProviderSettings,
)
from bot.providers.http import ProviderTiming, RetryPolicy, make_http_client
from bot.providers.registry import PROVIDERS
from bot.providers.router import Router
from bot.providers.slots import ResultSlots

__all__ = [
    "GeneratedImage",
    "GenerationRequest",
    "InputImage",
    "Provider",
    "ProviderTiming",
    "RetryPolicy",
    "Router",
    "build_providers",
    "build_router",
    "make_http_client",
    "provider_hosts",
]


def provider_hosts(settings: ProviderSettings) -> set[str]:
    """The host names of the providers' configured base URLs, which may be inside the
    network (a self-hosted gateway): the HTTP client resolves them as they are."""
    hosts = {urlsplit(settings.base_url(entry.url_setting)).hostname
             for entry in PROVIDERS if entry.url_setting}
    return {host for host in hosts if host}


def build_providers(
    settings: ProviderSettings,
    http: aiohttp.ClientSession,
    *,
    timing: ProviderTiming | None = None,
    slots: ResultSlots | None = None,
) -> dict[str, Provider]:
    """Every provider of the registry; one without a key reports itself not configured.
    They share `slots` (MAX_IMAGES_IN_FLIGHT) for the results they hold."""
    slots = slots or ResultSlots(settings.MAX_IMAGES_IN_FLIGHT)
    return {entry.name: entry.factory(settings, http, timing, slots) for entry in PROVIDERS}


def build_router(
    settings: ProviderSettings,
    http: aiohttp.ClientSession,
    *,
    timing: ProviderTiming | None = None,
    policy: RetryPolicy | None = None,
) -> Router:
    """The router over `build_providers`, with the operator's routing and limits."""
    slots = ResultSlots(settings.MAX_IMAGES_IN_FLIGHT)
    return Router(
        build_providers(settings, http, timing=timing, slots=slots),
        settings.routing,
        policy=policy,
        concurrency=settings.PROVIDER_CONCURRENCY,
        limits=settings.concurrency,
        deadline=settings.PROVIDER_DEADLINE_SECONDS,
        results=slots,
    )
