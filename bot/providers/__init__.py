"""The provider layer: one class per hosted API, the local placeholder, and the router.

The entry point makes one `httpx.AsyncClient` (`make_http_client()`) and builds the
router from the settings with `build_router(settings, http)`.
"""

from __future__ import annotations

import httpx

from bot.providers.apiframe import ApiframeProvider
from bot.providers.base import GeneratedImage, GenerationRequest, InputImage, Provider
from bot.providers.http import ProviderTiming, RetryPolicy, make_http_client
from bot.providers.onemin import OneMinProvider
from bot.providers.placeholder import PlaceholderProvider
from bot.providers.router import Router
from bot.providers.segmind import SegmindProvider
from bot.settings import Settings

__all__ = [
    "ApiframeProvider",
    "GeneratedImage",
    "GenerationRequest",
    "InputImage",
    "OneMinProvider",
    "PlaceholderProvider",
    "Provider",
    "ProviderTiming",
    "RetryPolicy",
    "Router",
    "SegmindProvider",
    "build_providers",
    "build_router",
    "make_http_client",
]


def build_providers(
    settings: Settings, http: httpx.AsyncClient, *, timing: ProviderTiming | None = None
) -> dict[str, Provider]:
    """Every provider the bot knows; one without a key reports itself not configured.

    The placeholder is on when `PLACEHOLDER_PROVIDER` is set or a route names it.
    """
    def hosted(cls: type[OneMinProvider | ApiframeProvider | SegmindProvider]) -> Provider:
        return cls(http, settings.api_key(cls.name), settings.base_url(cls.name), timing=timing)

    named = any("placeholder" in route for route in settings.routing.values())
    return {
        "apiframe": hosted(ApiframeProvider),
        "segmind": hosted(SegmindProvider),
        "onemin": hosted(OneMinProvider),
        "placeholder": PlaceholderProvider(enabled=settings.PLACEHOLDER_PROVIDER or named),
    }


def build_router(
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    timing: ProviderTiming | None = None,
    policy: RetryPolicy | None = None,
) -> Router:
    """The router over `build_providers`, with the operator's routing and concurrency."""
    return Router(
        build_providers(settings, http, timing=timing),
        settings.routing,
        policy=policy,
        concurrency=settings.PROVIDER_CONCURRENCY,
        placeholder_fallback=settings.PLACEHOLDER_PROVIDER,
    )
