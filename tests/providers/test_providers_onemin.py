"""1min.ai provider against its stand-in: every documented parameter, every fault."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot import images
from bot.catalogue import MODELS, ProviderSchema
from bot.providers.base import GenerationRequest
from bot.providers.errors import (
    AuthenticationError,
    InsufficientProviderCredit,
    InvalidRequestError,
    MalformedResponseError,
    ModerationError,
    ProviderError,
    ProviderNotConfigured,
    ProviderTimeout,
    RateLimitError,
    ResultUnavailable,
    ServerError,
)
from bot.providers.http import ProviderTiming, RetryPolicy
from bot.providers.onemin import OneMinProvider
from bot.providers.router import Router
from tests.support.standins.onemin import OneMinStandIn
from tests.support.standins.providers import TEST_KEYS

KEY = TEST_KEYS["onemin"]
MakeRequest = Callable[..., GenerationRequest]


def provider_for(
    standin: OneMinStandIn, http: aiohttp.ClientSession, timing: ProviderTiming, key: str = KEY
) -> OneMinProvider:
    return OneMinProvider(http, SecretStr(key), standin.base_url, timing=timing)


def schema(model: str) -> ProviderSchema:
    found = MODELS[model].schema("onemin")
    assert found is not None
    return found


def feature_calls(standin: OneMinStandIn) -> list:
    return standin.recorded("/api/features", "POST")


async def test_flux_pro_with_every_documented_parameter(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(onemin_standin, provider_http, fast_timing)
    request = make_request(
        "flux-pro", image=True, aspect_ratio="custom", width=1000, height=768, steps=30,
        guidance=4.5, prompt_upsampling=True, output_format="png", output_quality=90,
        safety_tolerance=4,
    )

    image = await provider.generate(request)

    [upload] = onemin_standin.recorded("/api/assets")
    assert upload.files == {"asset": "reference.png"}
    assert upload.headers["api-key"] == "<valid>"
    [asset_key] = onemin_standin.assets
    [call] = feature_calls(onemin_standin)
    assert call.headers["api-key"] == "<valid>"
    assert call.json == {
        "type": "IMAGE_GENERATOR",
        "model": "black-forest-labs/flux-pro",
        "promptObject": {
            "prompt": request.prompt, "image_prompt": asset_key, "aspect_ratio": "custom",
            "width": 992, "height": 768, "steps": 30, "guidance": 4.5,
            "prompt_upsampling": True, "seed": 1234567, "output_format": "png",
            "output_quality": 90, "safety_tolerance": 4,
        },
    }
    assert (image.format, image.width, image.height) == ("png", 992, 768)
    assert images.inspect(image.data) == images.ImageInfo("png", 992, 768)
    assert image.seed == 1234567 and image.provider == "onemin"
    assert any("1000 → 992" in note for note in image.notes)
    [download] = onemin_standin.recorded("/s3/")
    assert "api-key" not in download.headers  # the key never goes to the storage host


async def test_a_file_name_with_quotes_and_line_breaks_stays_one_field_of_the_upload(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    # The name is the member's: it must not end the part's header and start another.
    request = make_request("flux-pro", image=True)
    assert request.image is not None
    named = dataclasses.replace(request.image, filename='a"b\r\nContent-Type: text/x.png')
    await provider_for(onemin_standin, provider_http, fast_timing).generate(
        dataclasses.replace(request, image=named))

    [upload] = onemin_standin.recorded("/api/assets")
    assert upload.files == {"asset": "a%22b%0D%0AContent-Type: text/x.png"}
    [asset_key] = onemin_standin.assets
    assert onemin_standin.assets[asset_key] == named.data


async def test_flux_2_pro_with_every_documented_parameter(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(onemin_standin, provider_http, fast_timing)
    request = make_request(
        "flux-2-pro", seed=4294967295, aspect_ratio="16:9", output_format="jpg",
        output_quality=70, steps=15, guidance=2, safety_tolerance=6, prompt_upsampling=True,
    )

    image = await provider.generate(request)

    [call] = feature_calls(onemin_standin)
    assert call.json["model"] == "black-forest-labs/flux-2-pro"
    assert call.json["promptObject"] == {
        "prompt": request.prompt, "aspect_ratio": "16:9", "output_format": "jpg",
        "output_quality": 70, "steps": 15, "guidance": 2, "safety_tolerance": 6,
        "prompt_upsampling": True, "seed": 4294967295,
    }
    assert image.format == "jpeg" and image.seed == 4294967295
    assert image.width / image.height == pytest.approx(16 / 9, rel=0.03)
    assert image.width * image.height == pytest.approx(1024 * 1024, rel=0.1)


async def test_flux_dev_with_every_documented_parameter(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(onemin_standin, provider_http, fast_timing)
    request = make_request(
        "flux-dev", image=True, seed=0, aspect_ratio="9:16", prompt_strength=0.6, steps=40,
        guidance=7, output_quality=85, go_fast=True, megapixels="0.25",
    )

    image = await provider.generate(request)

    [call] = feature_calls(onemin_standin)
    sent = call.json["promptObject"]
    assert sent == {
        "prompt": request.prompt, "image_prompt": next(iter(onemin_standin.assets)),
        "aspect_ratio": "9:16", "prompt_strength": 0.6, "num_inference_steps": 40,
        "guidance": 7, "seed": 0, "output_quality": 85, "go_fast": True,
        "megapixels": "0.25", "disable_safety_checker": False,
    }
    assert "steps" not in sent and "safety_tolerance" not in sent
    assert image.format == "webp" and image.seed == 0
    assert image.height / image.width == pytest.approx(16 / 9, rel=0.05)
    assert image.width * image.height == pytest.approx(0.25 * 1024 * 1024, rel=0.1)


async def test_unset_tolerance_is_sent_as_the_lower_of_default_and_cap(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(onemin_standin, provider_http, fast_timing)
    await provider.generate(make_request("flux-pro", cap=1))
    await provider.generate(make_request("flux-pro", cap=3,
                                                             safety_tolerance=5))
    sent = [c.json["promptObject"]["safety_tolerance"] for c in feature_calls(onemin_standin)]
    assert sent == [1, 3]


async def test_an_option_the_page_does_not_list_is_refused_before_any_request(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(onemin_standin, provider_http, fast_timing)
    for options in ({"width": 512}, {"steps": 10}):
        request = make_request("flux-2-pro", **options)
        assert request.plan.attempt("onemin") is None  # the plan leaves 1min.ai out
        with pytest.raises(InvalidRequestError, match="no attempt for onemin"):
            await provider.generate(request)
    assert onemin_standin.requests == []


FAULTS: list[tuple[str, dict[str, Any], type[ProviderError]]] = [
    ("unauthorized", {}, AuthenticationError),
    ("no_credit", {}, InsufficientProviderCredit),
    ("no_credit", {"status": "FAILED"}, InsufficientProviderCredit),
    ("rate_limit", {"retry_after": "7"}, RateLimitError),
    ("server_error", {"status": 500}, ServerError),
    ("server_error", {"status": 502}, ServerError),
    ("malformed", {"shape": "truncated"}, MalformedResponseError),
    ("malformed", {"shape": "no_record"}, MalformedResponseError),
    ("malformed", {"shape": "result_string"}, MalformedResponseError),
    ("failed_record", {}, ServerError),
    ("no_url", {}, ResultUnavailable),
    ("expired_download", {}, ResultUnavailable),
]


@pytest.mark.parametrize(("kind", "params", "expected"), FAULTS)
async def test_each_fault_maps_to_its_error(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
    kind: str, params: dict[str, Any], expected: type[ProviderError],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = provider_for(onemin_standin, provider_http, fast_timing)
    onemin_standin.inject(kind, **params)

    with pytest.raises(ProviderError) as caught:
        await provider.generate(make_request("flux-pro"))

    error = caught.value
    assert type(error) is expected
    assert error.provider == "onemin"
    for text in (str(error), error.body, repr(error), repr(provider), caplog.text):
        assert KEY not in text
    if kind == "rate_limit":
        assert isinstance(error, RateLimitError) and error.retry_after == 7.0
    if kind == "expired_download":
        assert error.status == 403 and not error.retryable


async def test_retry_after_as_an_http_date(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(onemin_standin, provider_http, fast_timing)
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    onemin_standin.inject("rate_limit", retry_after=when)
    with pytest.raises(RateLimitError) as caught:
        await provider.generate(make_request("flux-pro"))
    assert caught.value.retry_after is not None and 25 <= caught.value.retry_after <= 30


async def test_a_hung_call_is_a_timeout(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    timing = dataclasses.replace(fast_timing, sync_read=0.2)
    provider = provider_for(onemin_standin, provider_http, timing)
    onemin_standin.inject("hang")
    with pytest.raises(ProviderTimeout):
        await provider.generate(make_request("flux-pro"))


async def test_a_moderated_prompt_is_a_moderation_error(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(onemin_standin, provider_http, fast_timing)
    with pytest.raises(ModerationError) as caught:
        await provider.generate(
            make_request("flux-dev", prompt="something forbidden")
        )
    assert caught.value.status == 422 and not caught.value.retryable


async def test_a_wrong_key_is_refused_and_never_echoed(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "omk_live_wrongwrongwrong0000"
    provider = provider_for(onemin_standin, provider_http, fast_timing, key=wrong)
    with pytest.raises(AuthenticationError) as caught:
        await provider.generate(make_request("flux-pro"))
    assert "not active" in str(caught.value)  # the provider's own words reach the log
    for text in (str(caught.value), caught.value.body, caplog.text):
        assert wrong not in text


async def test_without_a_key_the_provider_is_not_configured(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = OneMinProvider(provider_http, None, onemin_standin.base_url, timing=fast_timing)
    assert not provider.configured
    assert (await provider.health()).configured is False
    with pytest.raises(ProviderNotConfigured):
        await provider.generate(make_request("flux-pro"))
    assert onemin_standin.requests == []


@pytest.mark.parametrize(
    ("kind", "attempts", "outcome"),
    [
        ("server_error", 2, None),  # retried once, then served
        ("rate_limit", 2, None),
        ("malformed", 2, None),
        ("hang", 1, ProviderTimeout),  # may still be generating: not asked twice
        ("unauthorized", 1, AuthenticationError),  # a rejection is not retried
        ("no_credit", 1, InsufficientProviderCredit),
        ("expired_download", 1, ResultUnavailable),  # the image was paid for
    ],
)
async def test_router_retries_only_what_may_be_retried(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
    kind: str, attempts: int, outcome: type[ProviderError] | None,
) -> None:
    timing = dataclasses.replace(fast_timing, sync_read=0.3)
    router = Router({"onemin": provider_for(onemin_standin, provider_http, timing)},
                    policy=fast_policy)
    onemin_standin.inject(kind, retry_after="0")
    request = make_request("flux-pro")
    if outcome is None:
        image = await router.generate(request)
        assert image.provider == "onemin" and image.seed == request.seed
    else:
        with pytest.raises(outcome):
            await router.generate(request)
    assert len(feature_calls(onemin_standin)) == attempts
