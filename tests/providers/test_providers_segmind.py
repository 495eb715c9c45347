"""Segmind provider against its stand-in: image bytes in the answer, credits header."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import aiohttp
import pytest
from pydantic import SecretStr

from bot.catalogue import MODELS, ProviderSchema
from bot.providers.base import GenerationRequest
from bot.providers.errors import (
    AuthenticationError,
    InsufficientProviderCredit,
    InvalidRequestError,
    MalformedResponseError,
    ModerationError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ResultUnavailable,
    ServerError,
)
from bot.providers.http import ProviderTiming
from bot.providers.segmind import SegmindProvider
from tests.support.standins.providers import TEST_KEYS
from tests.support.standins.segmind import SegmindStandIn

KEY = TEST_KEYS["segmind"]
MakeRequest = Callable[..., GenerationRequest]
SCHEMA: ProviderSchema = MODELS["flux-1.1-pro"].schema("segmind")  # type: ignore[assignment]


def provider_for(
    standin: SegmindStandIn, http: aiohttp.ClientSession, timing: ProviderTiming, key: str = KEY
) -> SegmindProvider:
    return SegmindProvider(http, SecretStr(key), standin.base_url, timing=timing)


async def test_every_documented_parameter(
    segmind_standin: SegmindStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(segmind_standin, provider_http, fast_timing)
    request = make_request(
        "flux-1.1-pro", seed=42, aspect_ratio="custom", width=1000, height=1432,
        output_format="png", output_quality=95, safety_tolerance=5, prompt_upsampling=False,
    )

    image = await provider.generate(request)

    [call] = segmind_standin.recorded("/v1/flux-1.1-pro", "POST")
    assert call.headers["x-api-key"] == "<valid>"
    assert call.json == {
        "seed": 42, "width": 1008, "height": 1440, "prompt": request.prompt,
        "aspect_ratio": "custom", "output_format": "png", "output_quality": 95,
        "safety_tolerance": 5, "prompt_upsampling": False,
    }
    assert (image.format, image.width, image.height) == ("png", 1008, 1440)
    assert image.seed == 42 and image.provider == "segmind"
    assert sorted(image.notes) == ["height 1432 → 1440 (a multiple of 16)",
                                   "width 1000 → 1008 (a multiple of 16)"]
    assert provider.remaining_credits == segmind_standin.credits


async def test_a_size_without_a_ratio_is_sent_as_custom(
    segmind_standin: SegmindStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(segmind_standin, provider_http, fast_timing)
    image = await provider.generate(make_request("flux-1.1-pro", width=512,
                                                         height=768))
    [call] = segmind_standin.recorded("/v1/flux-1.1-pro")
    assert call.json["aspect_ratio"] == "custom"
    assert (image.width, image.height) == (512, 768)


@pytest.mark.parametrize("ratio", ["1:1", "16:9", "9:16", "3:2", "2:3", "4:5", "5:4", "3:4"])
async def test_aspect_ratios_give_about_one_megapixel(
    segmind_standin: SegmindStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest, ratio: str,
) -> None:
    provider = provider_for(segmind_standin, provider_http, fast_timing)
    image = await provider.generate(make_request("flux-1.1-pro", aspect_ratio=ratio,
                                                         output_format="jpg"))
    w, h = (int(x) for x in ratio.split(":"))
    assert image.format == "jpeg"
    assert image.width / image.height == pytest.approx(w / h, rel=0.03)
    assert image.width * image.height == pytest.approx(1024 * 1024, rel=0.1)


async def test_an_image_prompt_is_refused_before_any_request(
    segmind_standin: SegmindStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(segmind_standin, provider_http, fast_timing)
    request = make_request("flux-1.1-pro", image=True)
    assert request.plan.attempt("segmind") is None
    with pytest.raises(InvalidRequestError):
        await provider.generate(request)
    assert segmind_standin.requests == []


FAULTS: list[tuple[str, type[ProviderError], int]] = [
    ("unauthorized", AuthenticationError, 401),
    ("no_credit", InsufficientProviderCredit, 406),
    ("rate_limit", RateLimitError, 429),
    ("server_error", ServerError, 500),
    ("malformed", MalformedResponseError, 200),
    ("corrupt_image", ResultUnavailable, None),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("kind", "expected", "status"), FAULTS)
async def test_each_fault_maps_to_its_error(
    segmind_standin: SegmindStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest, caplog: pytest.LogCaptureFixture,
    kind: str, expected: type[ProviderError], status: int | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = provider_for(segmind_standin, provider_http, fast_timing)
    segmind_standin.inject(kind, retry_after="3")
    with pytest.raises(ProviderError) as caught:
        await provider.generate(make_request("flux-1.1-pro"))
    error = caught.value
    assert type(error) is expected and error.status == status
    for text in (str(error), error.body, repr(provider), caplog.text):
        assert KEY not in text
    if isinstance(error, RateLimitError):
        assert error.retry_after == 3.0 and "Too many requests" in str(error)
    if kind == "no_credit":
        assert provider.remaining_credits == 0


async def test_a_moderated_prompt_and_a_hang(
    segmind_standin: SegmindStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(segmind_standin, provider_http,
                            dataclasses.replace(fast_timing, sync_read=0.2))
    with pytest.raises(ModerationError, match="content policy"):
        await provider.generate(make_request("flux-1.1-pro", prompt="forbidden"))
    segmind_standin.inject("hang")
    with pytest.raises(ProviderTimeout):
        await provider.generate(make_request("flux-1.1-pro"))


async def test_a_wrong_key_is_refused_and_never_echoed(
    segmind_standin: SegmindStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    wrong = "SG_wrong_wrong_wrong_00"
    provider = provider_for(segmind_standin, provider_http, fast_timing, key=wrong)
    with pytest.raises(AuthenticationError) as caught:
        await provider.generate(make_request("flux-1.1-pro"))
    assert wrong not in str(caught.value) and wrong not in caught.value.body
    assert "***" in caught.value.body


async def test_health_reads_the_credit_balance(
    segmind_standin: SegmindStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming,
) -> None:
    good = await provider_for(segmind_standin, provider_http, fast_timing).health()
    bad = await provider_for(segmind_standin, provider_http, fast_timing, "SG_nope").health()
    none = await SegmindProvider(provider_http, None, segmind_standin.base_url).health()
    assert (good.key_ok, good.detail) == (True, "25 USD of credit")
    assert bad.key_ok is False and "SG_nope" not in bad.detail
    assert none.configured is False
    assert [r.path for r in segmind_standin.requests] == ["/v1/get-user-credits"] * 2
