"""The router over the real providers and their stand-ins: routes, candidates, retries,
fallback, rejections, per-provider concurrency and 429 cool-down, the placeholder."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from bot import images
from bot.providers import build_providers, build_router
from bot.providers.base import GenerationRequest
from bot.providers.errors import (
    ModerationError,
    NoProviderAvailable,
    ServerError,
)
from bot.providers.http import ProviderTiming, RetryPolicy
from bot.providers.router import Router
from bot.settings import Settings
from tests.support.standins.providers import ProviderStandIns

MakeRequest = Callable[..., GenerationRequest]


def settings_for(standins: ProviderStandIns | None = None, **overrides: Any) -> Settings:
    env: dict[str, Any] = standins.settings_env() if standins is not None else {}
    # model_validate: no environment or .env file reaches the test.
    return Settings.model_validate({"DISCORD_TOKEN": "discord-token", **env, **overrides})


async def eventually(check: Callable[[], bool]) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


def router_for(
    standins: ProviderStandIns | None, http: aiohttp.ClientSession, timing: ProviderTiming,
    policy: RetryPolicy, **overrides: Any,
) -> Router:
    return build_router(settings_for(standins, **overrides), http, timing=timing, policy=policy)


def calls(standins: ProviderStandIns) -> dict[str, int]:
    """Generation requests each provider's stand-in received (retries included)."""
    counts = {"apiframe": len(standins.apiframe.generation_bodies()),
              "segmind": len(standins.segmind.generation_bodies()),
              "onemin": len(standins.onemin.generation_bodies()),
              "bfl": len(standins.bfl.generation_bodies())}
    return {name: n for name, n in counts.items() if n}


def names(router: Router, model: str, options: dict[str, Any], cap: int = 6) -> list[str]:
    """The providers of the router's plan for these options (with `image` as a flag)."""
    image = options.pop("image", None) is not None
    try:
        return router.plan(model, options, cap, image=image).providers
    except NoProviderAvailable:
        return []


async def test_routes_follow_the_catalogue_unless_the_operator_reorders_them(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy,
) -> None:
    default = router_for(provider_standins, provider_http, fast_timing, fast_policy)
    assert default.route("flux-1.1-pro") == ["apiframe", "segmind", "bfl"]
    assert [default.route(m) for m in ("flux-pro", "flux-2-pro", "flux-dev")] == [
        ["onemin", "bfl"], ["onemin", "bfl"], ["onemin", "bfl"]]
    reordered = router_for(provider_standins, provider_http, fast_timing, fast_policy,
                           routing={"flux-1.1-pro": ["segmind", "apiframe"]})
    assert names(reordered, "flux-1.1-pro", {}) == ["segmind", "apiframe"]
    trimmed = router_for(provider_standins, provider_http, fast_timing, fast_policy,
                         routing={"flux-1.1-pro": ["segmind"], "flux-dev": []})
    assert names(trimmed, "flux-1.1-pro", {}) == ["segmind"]
    assert trimmed.route("flux-dev") == [] and names(trimmed, "flux-pro", {}) == ["onemin"]


async def test_a_provider_is_chosen_only_if_it_takes_every_option_set(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy)
    image = make_request("flux-1.1-pro", image=True).image
    assert names(router, "flux-1.1-pro", {"image": image}) == ["apiframe"]  # Segmind: no image
    # apiframe has no safety_tolerance: it serves only FLUX's own level, 2.
    assert names(router, "flux-1.1-pro", {"safety_tolerance": 5}) == ["segmind"]
    assert names(router, "flux-1.1-pro", {"safety_tolerance": 2}) == ["apiframe", "segmind"]
    assert names(router, "flux-1.1-pro", {}, cap=1) == ["segmind"]
    assert names(router, "flux-1.1-pro", {"width": 1440, "aspect_ratio": "custom"}) == [
        "apiframe", "segmind"]
    assert names(router, "flux-1.1-pro", {"aspect_ratio": "4:3"}) == ["segmind"]
    assert names(router, "flux-dev", {}, cap=1) == []  # its filter is fixed at 2


async def test_an_expired_link_leaves_out_the_providers_taking_images_only_by_link(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy,
) -> None:
    by_link_only = router_for(provider_standins, provider_http, fast_timing, fast_policy)
    assert by_link_only.plan("flux-1.1-pro", {}, 6, image=True).providers == ["apiframe"]
    with pytest.raises(NoProviderAvailable) as caught:
        by_link_only.plan("flux-1.1-pro", {}, 6, image=True, by_link=False)
    assert caught.value.user_message == (
        "The image of that job has expired at Discord, and FLUX1.1 [pro]'s provider here "
        "takes images only by link. Use /imagine with the image attached again.")
    # A route with no provider at all says so, not that the link expired.
    with pytest.raises(NoProviderAvailable) as caught:
        by_link_only.plan("flux-1.1-pro", {"safety_tolerance": 5}, 6, image=True,
                          by_link=False)
    assert "cannot take" in caught.value.user_message
    with_bytes = build_router(settings_for(
        provider_standins, BFL_API_KEY=provider_standins.bfl.api_key,
        BFL_BASE_URL=provider_standins.bfl.base_url), provider_http, timing=fast_timing,
        policy=fast_policy)
    assert with_bytes.plan("flux-1.1-pro", {}, 6, image=True).providers == ["apiframe", "bfl"]
    assert with_bytes.plan("flux-1.1-pro", {}, 6, image=True, by_link=False).providers == [
        "bfl"]


async def test_a_provider_without_a_key_is_skipped_and_reported(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy,
                        APIFRAME_API_KEY=None, ONEMIN_API_KEY=None)
    assert names(router, "flux-1.1-pro", {}) == ["segmind"]
    with pytest.raises(NoProviderAvailable) as caught:
        await router.generate(make_request("flux-1.1-pro", router=router, image=True))
    assert "cannot take `image`" in caught.value.user_message
    with pytest.raises(NoProviderAvailable) as caught:
        await router.generate(make_request("flux-pro", router=router))
    assert "not set up" in caught.value.user_message and "1min.ai" in caught.value.user_message
    status = {s.provider: s for s in router.status()}
    assert not status["onemin"].configured and status["segmind"].healthy
    health = {h.provider: h for h in await router.health()}
    assert health["onemin"].configured is False and health["segmind"].key_ok is True
    assert provider_standins.onemin.requests == provider_standins.apiframe.requests == []


async def test_the_offered_catalogue_is_built_once_until_a_key_changes(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, monkeypatch: pytest.MonkeyPatch,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy,
                        APIFRAME_API_KEY=None)
    built: list[int] = []
    build = router._build_offered
    monkeypatch.setattr(router, "_build_offered", lambda: built.append(1) or build())
    first = router.offered()
    first.pop("flux-1.1-pro")  # a caller's copy: the next one is whole
    again = router.offered()
    assert "flux-1.1-pro" in again and len(built) == 1
    assert [s.provider for s in again["flux-1.1-pro"].schemas] == ["segmind"]
    # A provider whose configuration changes is offered from then on.
    providers: dict[str, Any] = router._providers
    providers["apiframe"]._key = providers["segmind"]._key
    assert [s.provider for s in router.offered()["flux-1.1-pro"].schemas] == [
        "apiframe", "segmind"]
    assert len(built) == 2


async def test_apiframe_failing_falls_back_to_segmind(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy)
    provider_standins.apiframe.inject("server_error", times=3, status=502)

    image = await router.generate(make_request("flux-1.1-pro", router=router, aspect_ratio="16:9"))

    assert image.provider == "segmind" and image.seed == 1234567
    assert calls(provider_standins) == {"apiframe": 3, "segmind": 1}
    assert images.inspect(image.data).width == image.width
    for key in provider_standins.keys.values():
        assert key not in caplog.text
    assert {s.provider: s.consecutive_failures for s in router.status()}["apiframe"] == 3


async def test_a_rejected_prompt_is_not_retried_elsewhere(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy)
    with pytest.raises(ModerationError):
        await router.generate(make_request("flux-1.1-pro", router=router, prompt="a forbidden cat"))
    assert calls(provider_standins) == {"apiframe": 1}
    assert provider_standins.segmind.requests == []
    # A refused prompt says nothing about the provider.
    assert {s.provider: s.healthy for s in router.status()}["apiframe"]


async def test_when_every_candidate_fails_the_last_error_is_raised(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy)
    provider_standins.apiframe.inject("server_error", times=3)
    provider_standins.segmind.inject("server_error", times=3)
    with pytest.raises(ServerError) as caught:
        await router.generate(make_request("flux-1.1-pro", router=router))
    assert caught.value.provider == "segmind"
    assert calls(provider_standins) == {"apiframe": 3, "segmind": 3}
    assert not any(s.healthy for s in router.status() if s.provider in ("apiframe", "segmind"))


async def test_a_429_slows_that_provider_only(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    policy = RetryPolicy(attempts=2, base_delay=0.01, retry_after_cap=1.5)
    router = router_for(provider_standins, provider_http, fast_timing, policy,
                        routing={"flux-1.1-pro": ["segmind"]})
    provider_standins.segmind.inject("rate_limit", retry_after="30")  # capped at 1.5 s
    slowed = asyncio.create_task(
        router.generate(make_request("flux-1.1-pro", router=router, job_id="a")))
    await eventually(lambda: {s.provider: s for s in router.status()}["segmind"].cooling_down)

    # 1min.ai: not held up
    other = await router.generate(make_request("flux-pro", router=router, job_id="b"))

    status = {s.provider: s for s in router.status()}
    assert other.provider == "onemin" and not slowed.done()
    assert status["segmind"].cooling_down and status["segmind"].concurrency == 4
    assert not status["onemin"].cooling_down and status["onemin"].concurrency == 8
    image = await slowed
    assert image.provider == "segmind" and calls(provider_standins)["segmind"] == 2
    assert {s.provider: s for s in router.status()}["segmind"].concurrency == 5  # recovering


async def test_per_provider_concurrency_is_bounded(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy,
                        PROVIDER_CONCURRENCY=2)
    provider_standins.onemin.inject("slow", times=6, seconds=0.1)
    results = await asyncio.gather(*(
        router.generate(make_request("flux-2-pro", router=router, job_id=f"job-{i}", seed=i))
        for i in range(6)
    ))
    assert sorted(r.seed for r in results) == list(range(6))
    assert provider_standins.onemin.max_in_flight == 2


async def test_the_placeholder_serves_only_when_configured(
    provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming, fast_policy: RetryPolicy,
    make_request: MakeRequest,
) -> None:
    off = router_for(None, provider_http, fast_timing, fast_policy)
    assert all(not names(off, m, {}) for m in ("flux-pro", "flux-1.1-pro"))
    on = router_for(None, provider_http, fast_timing, fast_policy, PLACEHOLDER_PROVIDER=True)
    assert on.route("flux-dev") == ["onemin", "bfl", "placeholder"]

    image = await on.generate(make_request(
        "flux-1.1-pro", router=on, aspect_ratio="custom", width=640, height=384,
        output_format="jpg",
        safety_tolerance=4,
    ))
    assert (image.provider, image.format, image.width, image.height) == (
        "placeholder", "jpeg", 640, 384)
    assert images.inspect(image.data) == images.ImageInfo("jpeg", 640, 384)
    dev = await on.generate(make_request("flux-dev", router=on, megapixels="0.25",
                                         aspect_ratio="16:9", steps=20, go_fast=True,
                                         image=True))
    assert dev.format == "webp" and dev.width / dev.height == pytest.approx(16 / 9, rel=0.05)
    assert dev.width * dev.height == pytest.approx(0.25 * 1024 * 1024, rel=0.1)


async def test_the_placeholder_steps_aside_for_a_configured_provider(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy,
                        PLACEHOLDER_PROVIDER=True, APIFRAME_API_KEY=None)
    assert names(router, "flux-1.1-pro", {}) == ["segmind"]
    named = router_for(None, provider_http, fast_timing, fast_policy,
                       routing={"flux-pro": ["placeholder"]})
    assert names(named, "flux-pro", {"steps": 50, "guidance": 50}) == ["placeholder"]
    assert names(named, "flux-2-pro", {}) == []  # not named there, and the fallback is off


def test_build_providers_knows_every_provider(provider_http: aiohttp.ClientSession) -> None:
    secret = "SG_only_in_a_header_123"
    providers = build_providers(settings_for(None, SEGMIND_API_KEY=secret), provider_http)
    assert sorted(providers) == ["apiframe", "bfl", "onemin", "placeholder", "segmind"]
    assert [n for n, p in providers.items() if p.configured] == ["segmind"]
    segmind = providers["segmind"]
    assert secret not in repr(segmind) and secret not in str(vars(segmind))


async def test_a_timeout_before_an_image_falls_back(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    timing = dataclasses.replace(fast_timing, poll_read=0.2)
    router = router_for(provider_standins, provider_http, timing, fast_policy)
    provider_standins.apiframe.inject("hang")
    image = await router.generate(make_request("flux-1.1-pro", router=router))
    assert image.provider == "segmind" and calls(provider_standins) == {"apiframe": 1, "segmind": 1}


async def test_an_unreachable_provider_is_retried_then_skipped(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy,
                        APIFRAME_BASE_URL=closed)
    image = await router.generate(make_request("flux-1.1-pro", router=router))
    assert image.provider == "segmind" and calls(provider_standins) == {"segmind": 1}
    apiframe = {s.provider: s for s in router.status()}["apiframe"]
    assert apiframe.consecutive_failures == 3  # tried three times, then skipped
    assert apiframe.last_error == "ProviderConnectionError"
