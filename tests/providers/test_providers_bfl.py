"""BFL provider against its stand-in: submit, poll the returned URL, download at once."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from pydantic import SecretStr

from bot import images
from bot.catalogue import MODELS, ProviderSchema
from bot.providers.base import GenerationRequest
from bot.providers.bfl import BflProvider
from bot.providers.errors import (
    AuthenticationError,
    InsufficientProviderCredit,
    MalformedResponseError,
    ModerationError,
    RateLimitError,
    ResultUnavailable,
    ServerError,
)
from bot.providers.http import ProviderTiming
from tests.support.standins.bfl import POLL_PATH, BflStandIn
from tests.support.standins.providers import BFL_TEST_KEY

KEY = BFL_TEST_KEY
MakeRequest = Callable[..., GenerationRequest]


def schema(model: str) -> ProviderSchema:
    found = MODELS[model].schema("bfl")
    assert found is not None
    return found


@pytest.fixture
async def bfl_standin() -> AsyncIterator[BflStandIn]:
    async with BflStandIn(KEY) as standin:
        yield standin
    assert standin.violations == []


def provider_for(
    standin: BflStandIn, http: aiohttp.ClientSession, timing: ProviderTiming, key: str = KEY
) -> BflProvider:
    return BflProvider(http, SecretStr(key), standin.base_url, timing=timing)


async def test_every_documented_parameter_of_flux_dev(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest,
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    request = make_request(
        "flux-dev", seed=42, width=1000, height=520, steps=30, guidance=4.5,
        output_format="jpg", safety_tolerance=2, prompt_upsampling=True, image=True,
    )

    image = await provider.generate(request)

    [submit] = bfl_standin.recorded("/v1/flux-dev", "POST")
    assert submit.headers["x-key"] == "<valid>"
    sent = dict(submit.json)
    assert request.image is not None
    assert base64.b64decode(sent.pop("image_prompt")) == request.image.data
    assert sent == {
        "prompt": request.prompt, "seed": 42, "width": 992, "height": 512, "steps": 30,
        "guidance": 4.5, "output_format": "jpeg", "safety_tolerance": 2,
        "prompt_upsampling": True,
    }
    polls = bfl_standin.recorded(POLL_PATH, "GET")
    assert len(polls) == 2 and all(p.headers["x-key"] == "<valid>" for p in polls)
    assert (image.provider, image.format, image.width, image.height) == ("bfl", "jpeg", 992, 512)
    assert images.inspect(image.data) == images.ImageInfo("jpeg", 992, 512)
    assert any("multiple of 32" in note or "992" in note for note in image.notes)


@pytest.mark.parametrize("model", ["flux-1.1-pro", "flux-pro"])
async def test_flux_pro_models_go_to_their_own_paths(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest, model: str,
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    image = await provider.generate(make_request(model, output_format="png"))
    path = {"flux-1.1-pro": "/v1/flux-pro-1.1", "flux-pro": "/v1/flux-pro"}[model]
    assert len(bfl_standin.recorded(path, "POST")) == 1 and image.format == "png"


@pytest.mark.parametrize("prompt", ["a forbidden cat", "a flagged cat"])
async def test_moderated_tasks_are_refusals(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest, prompt: str,
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    with pytest.raises(ModerationError) as caught:
        await provider.generate(make_request("flux-1.1-pro",
                                                                     prompt=prompt))
    assert not caught.value.retryable
    assert bfl_standin.recorded("/delivery/") == []


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("unauthorized", AuthenticationError),
        ("no_credit", InsufficientProviderCredit),
        ("rate_limit", RateLimitError),
        ("server_error", ServerError),
        ("malformed", MalformedResponseError),
        ("html", MalformedResponseError),
        ("deep_json", MalformedResponseError),
    ],
)
async def test_submit_failures_map_onto_the_error_tree(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest, fault: str, error: type[Exception],
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    bfl_standin.inject(fault, retry_after="7")
    with pytest.raises(error) as caught:
        await provider.generate(make_request("flux-1.1-pro"))
    assert KEY not in str(caught.value) and KEY not in caught.value.body  # type: ignore[attr-defined]
    if isinstance(caught.value, RateLimitError):
        assert caught.value.retry_after == 7


async def test_a_failed_task_may_go_elsewhere_and_a_poll_error_is_waited_out(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest,
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    bfl_standin.inject("poll_error")
    image = await provider.generate(make_request("flux-1.1-pro"))
    assert image.provider == "bfl"
    bfl_standin.inject("task_error")
    with pytest.raises(ServerError) as caught:
        await provider.generate(make_request("flux-1.1-pro"))
    assert caught.value.retryable


async def test_an_expired_sample_is_result_unavailable(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest,
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    bfl_standin.inject("expired_download", times=5)
    with pytest.raises(ResultUnavailable):
        await provider.generate(make_request("flux-1.1-pro"))


def test_the_key_goes_only_to_bfl_hosts(provider_http: aiohttp.ClientSession) -> None:
    provider = BflProvider(provider_http, SecretStr(KEY), "https://api.bfl.ai")
    assert provider._ours("https://api.us1.bfl.ai/v1/get_result?id=1")
    assert provider._ours("https://api.bfl.ai/v1/get_result?id=1")
    assert not provider._ours("https://api.bfl.ai.evil.example/v1/get_result?id=1")
    assert not provider._ours("http://api.us1.bfl.ai/v1/get_result?id=1")
    local = BflProvider(provider_http, SecretStr(KEY), "http://127.0.0.1:8080")
    assert not local._ours("http://127.0.0.2:8080/x")


async def test_health_uses_the_credits_call(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
) -> None:
    health = await provider_for(bfl_standin, provider_http, fast_timing).health()
    assert (health.configured, health.key_ok, health.detail) == (True, True, "120.5 credits")
    refused = await provider_for(bfl_standin, provider_http, fast_timing, "wrong").health()
    assert refused.key_ok is False
    assert bfl_standin.recorded("/v1/credits")[0].headers["x-key"] == "<valid>"


async def test_a_redirect_on_the_providers_own_host_is_followed(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest,
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    # The first delivery answers 302 to a second delivery of the same task.
    bfl_standin.inject("redirect", location="/delivery/{task}.png")
    image = await provider.generate(make_request("flux-1.1-pro"))
    assert image.format == "png" and len(bfl_standin.recorded("/delivery/")) == 2


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "http://10.0.0.7/internal",
    "http://127.0.0.1:{port}/elsewhere",  # loopback, but not the provider's own server
    "ftp://example.com/x.jpeg",
    # Loopback and the metadata service carried in IPv6: NAT64, 6to4, IPv4-compatible.
    "http://[64:ff9b::7f00:1]:{port}/elsewhere",
    "http://[2002:a9fe:a9fe::]/latest/meta-data/",
    "http://[::127.0.0.1]:{port}/elsewhere",
    "https://no-such-host.invalid/x.png",  # it could resolve inside the network later
])
async def test_a_redirect_inside_the_network_is_refused_before_any_connection(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest, target: str,
) -> None:
    async with BflStandIn(KEY) as elsewhere:
        port = elsewhere.base_url.rsplit(":", 1)[1]
        provider = provider_for(bfl_standin, provider_http, fast_timing)
        bfl_standin.inject("redirect", location=target.format(port=port))
        with pytest.raises(ResultUnavailable) as caught:
            await provider.generate(make_request("flux-1.1-pro"))
        assert "not allowed" in str(caught.value)
        assert elsewhere.requests == []
