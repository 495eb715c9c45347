"""A provider that cannot serve anyone leaves the routes; every call has a deadline; an
answer that cannot be parsed is a malformed response (so another provider may serve)."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from bot.providers import build_router
from bot.providers import router as router_module
from bot.providers.base import GenerationRequest
from bot.providers.errors import (
    AuthenticationError,
    InsufficientProviderCredit,
    NoProviderAvailable,
    ProviderTimeout,
    ServerError,
)
from bot.providers.http import ProviderTiming, Reply, RetryPolicy, error_from_reply
from bot.providers.router import Router
from bot.settings import Settings
from tests.support.standins.providers import ProviderStandIns

MakeRequest = Callable[..., GenerationRequest]


def router_for(
    standins: ProviderStandIns, http: aiohttp.ClientSession, timing: ProviderTiming,
    policy: RetryPolicy, *, bfl: bool = False, **overrides: Any,
) -> Router:
    env = {"DISCORD_TOKEN": "discord-token", **standins.settings_env(bfl=bfl), **overrides}
    return build_router(Settings.model_validate(env), http, timing=timing, policy=policy)


@pytest.mark.parametrize("fault", ["no_credit", "unauthorized"])
async def test_a_provider_out_of_credit_leaves_every_route_until_it_works_again(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
    caplog: pytest.LogCaptureFixture, fault: str,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy)
    told: list[str] = []

    async def notify(text: str) -> None:
        told.append(text)

    router.notify = notify
    apiframe = provider_standins.apiframe
    apiframe.inject(fault, times=100)  # every submit refused, the job list answers

    first = await router.generate(make_request("flux-1.1-pro", router=router, job_id="a"))
    second = await router.generate(make_request("flux-1.1-pro", router=router, job_id="b"))

    # Segmind serves both; apiframe saw only the first request.
    assert (first.provider, second.provider) == ("segmind", "segmind")
    assert len(apiframe.recorded("/v2/images/generate")) == 1
    assert len(told) == 1 and "apiframe" in told[0]
    assert caplog.text.count("out of every route") == 1
    assert provider_standins.keys["apiframe"] not in told[0]
    assert {s.provider: s.healthy for s in router.status()}["apiframe"] is False

    # The periodic check finds the key working (its cheap call answers) and puts it back.
    assert await router.recheck() == ["apiframe"]
    assert len(told) == 2 and "back" in told[1]
    apiframe._faults.clear()
    third = await router.generate(make_request("flux-1.1-pro", router=router, job_id="c"))
    assert third.provider == "apiframe"


async def test_a_health_check_that_does_not_answer_holds_up_no_other_providers(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(router_module, "HEALTH_CHECK_SECONDS", 0.5)
    # The production timeouts: a read may wait 30 s.
    router = router_for(provider_standins, provider_http, ProviderTiming(), fast_policy)
    apiframe, segmind = provider_standins.apiframe, provider_standins.segmind
    apiframe.inject("unauthorized")
    segmind.inject("unauthorized")
    with pytest.raises(AuthenticationError):
        await router.generate(make_request("flux-1.1-pro", router=router))
    healthy = {s.provider: s.healthy for s in router.status()}
    assert healthy["apiframe"] is False and healthy["segmind"] is False

    # apiframe's check is asked first, and its answer is held for 5 s (within the 30 s a
    # read may take): Segmind's is asked when the check's 0.5 s are up, and is back.
    apiframe.inject("hang_list", seconds=5)
    assert await router.recheck() == ["segmind"]
    assert apiframe.in_flight == 1  # apiframe's answer is still to come
    apiframe.release()


async def test_a_provider_stays_out_while_its_key_is_refused(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy,
                        APIFRAME_API_KEY="afk_wrong_key", SEGMIND_API_KEY=None)
    with pytest.raises(AuthenticationError) as caught:
        await router.generate(make_request("flux-1.1-pro", router=router))
    # Nobody has been told in a channel: the member is not promised that.
    assert "has been told" not in caught.value.user_message
    assert await router.recheck() == []
    with pytest.raises(NoProviderAvailable) as out:
        router.plan("flux-1.1-pro", {}, 6)
    assert "refused the bot's key" in out.value.user_message


async def test_the_last_provider_refusing_its_key_is_the_error_raised(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy)
    provider_standins.apiframe.inject("no_credit")
    provider_standins.segmind.inject("no_credit")
    with pytest.raises(InsufficientProviderCredit):
        await router.generate(make_request("flux-1.1-pro", router=router))


async def test_a_trickling_provider_is_cut_off_at_the_deadline(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    # Each byte arrives well within the read timeout, so only an overall deadline ends it.
    timing = dataclasses.replace(fast_timing, poll_read=1.0)
    router = router_for(provider_standins, provider_http, timing, fast_policy, bfl=True,
                        PROVIDER_DEADLINE_SECONDS=0.5, routing={"flux-dev": ["bfl"]})
    provider_standins.bfl.inject("trickle", seconds=0.05)
    with pytest.raises(ProviderTimeout) as caught:
        await router.generate(make_request("flux-dev", router=router))
    assert caught.value.provider == "bfl" and "deadline" in str(caught.value)


async def test_bfl_serves_when_the_providers_before_it_fail(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing, fast_policy, bfl=True)
    provider_standins.onemin.inject("server_error", times=3)
    image = await router.generate(make_request("flux-pro", router=router, steps=30, guidance=3))
    assert image.provider == "bfl" and len(provider_standins.onemin.generation_bodies()) == 3
    assert len(provider_standins.bfl.generation_bodies()) == 1


async def test_a_malformed_answer_falls_back_to_the_next_provider(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    router = router_for(provider_standins, provider_http, fast_timing,
                        RetryPolicy(attempts=1, base_delay=0.01), bfl=True,
                        routing={"flux-1.1-pro": ["bfl", "segmind"]})
    provider_standins.bfl.inject("deep_json")
    image = await router.generate(make_request("flux-1.1-pro", router=router))
    assert image.provider == "segmind"


def test_an_error_body_nested_beyond_the_recursion_limit_is_still_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    body = b"[" * 200_000 + b"]" * 200_000
    error = error_from_reply(Reply(500, CIMultiDict(), body), provider="apiframe")
    assert isinstance(error, ServerError)


KEY = "afk_9f3c2b7a1d4e8f60a5b1c2d3e4f5a6b7"


@pytest.mark.parametrize("body", [
    # JSON whose words are under a name the bot does not look for: its start is shown.
    json.dumps({"status": "denied", "hint": "x" * 140 + f" Received key: {KEY}"}).encode(),
    # Not JSON: its text is shown.
    ("Unauthorized. " + "y" * 160 + f" key {KEY} is not valid").encode(),
])
def test_a_key_echoed_in_an_error_body_is_scrubbed_before_its_text_is_cut(body: bytes) -> None:
    # The key starts before the 200th character and ends after it: cut first, it was cut
    # in two and no longer found.
    error = error_from_reply(Reply(401, CIMultiDict(), body), provider="apiframe",
                             secrets=[KEY])
    assert isinstance(error, AuthenticationError) and "***" in str(error)
    pieces = {KEY[i:i + 6] for i in range(len(KEY) - 5)}
    assert not [piece for piece in pieces if piece in str(error) or piece in (error.body or "")]


@pytest.mark.parametrize("provider", ["apiframe", "segmind", "onemin", "bfl"])
async def test_an_image_holds_its_slot_until_released_and_a_failure_holds_none(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest, provider: str,
) -> None:
    model = "flux-pro" if provider == "onemin" else "flux-1.1-pro"
    router = router_for(provider_standins, provider_http, fast_timing,
                        RetryPolicy(attempts=1, base_delay=0.01), bfl=True,
                        MAX_IMAGES_IN_FLIGHT=1, routing={model: [provider]})
    image = await router.generate(make_request(model, router=router))
    assert router.results.held == 1
    image.release()
    image.release()  # twice is once
    assert router.results.held == 0
    getattr(provider_standins, provider).inject("server_error")
    with pytest.raises(ServerError):
        await router.generate(make_request(model, router=router))
    assert router.results.held == 0


def test_the_provider_settings_have_the_documented_defaults() -> None:
    settings = Settings.model_validate({"DISCORD_TOKEN": "t"})
    assert settings.PROVIDER_DEADLINE_SECONDS == 300
    assert settings.base_url("BFL_BASE_URL") == "https://api.bfl.ai"
    assert settings.api_key("BFL_API_KEY") is None and settings.OPS_CHANNEL_ID is None
    keyed = Settings.model_validate({"DISCORD_TOKEN": "t", "BFL_API_KEY": "bfl-secret-1"})
    assert "bfl-secret-1" in keyed.secrets()  # the log filter hides every provider's key
