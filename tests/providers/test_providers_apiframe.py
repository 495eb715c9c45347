"""apiframe provider against its stand-in: submit, poll, download; idempotent retries."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import aiohttp
import pytest
from pydantic import SecretStr

from bot.catalogue import MODELS, ProviderSchema
from bot.providers.apiframe import ApiframeProvider
from bot.providers.base import GenerationRequest
from bot.providers.errors import (
    AuthenticationError,
    InsufficientProviderCredit,
    MalformedResponseError,
    ModerationError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ResultUnavailable,
    ServerError,
)
from bot.providers.http import ProviderTiming, RetryPolicy
from bot.providers.router import Router
from tests.support.standins.apiframe import ApiframeStandIn
from tests.support.standins.providers import TEST_KEYS

KEY = TEST_KEYS["apiframe"]
MakeRequest = Callable[..., GenerationRequest]
SCHEMA: ProviderSchema = MODELS["flux-1.1-pro"].schema("apiframe")  # type: ignore[assignment]


def provider_for(
    standin: ApiframeStandIn, http: aiohttp.ClientSession, timing: ProviderTiming, key: str = KEY
) -> ApiframeProvider:
    return ApiframeProvider(http, SecretStr(key), standin.base_url, timing=timing)


def submits(standin: ApiframeStandIn) -> list:
    return standin.recorded("/v2/images/generate", "POST")


async def test_every_documented_parameter(
    apiframe_standin: ApiframeStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(apiframe_standin, provider_http, fast_timing)
    request = make_request(
        "flux-1.1-pro", image=True, aspect_ratio="custom", width=1000, height=600,
        output_format="jpg", output_quality=75, prompt_upsampling=True, seed=987654321,
    )

    image = await provider.generate(request)

    [call] = submits(apiframe_standin)
    assert call.headers["x-api-key"] == "<valid>"
    assert call.headers["idempotency-key"] == provider.idempotency_key("job-0001")
    assert call.json == {
        "prompt": request.prompt,
        "model": "flux-1.1-pro",
        "fluxParams": {
            "image_prompt": request.image.url if request.image else None,
            "aspect_ratio": "custom", "width": 992, "height": 608, "output_format": "jpg",
            "output_quality": 75, "seed": 987654321, "prompt_upsampling": True,
        },
    }
    [job] = apiframe_standin.jobs.values()
    assert job.history == ["QUEUED", "PROCESSING", "COMPLETED"]
    assert (image.format, image.width, image.height) == ("jpeg", 992, 608)
    assert image.seed == 987654321 and image.provider == "apiframe"
    [download] = apiframe_standin.recorded("/cdn/")
    assert "x-api-key" not in download.headers


@pytest.mark.parametrize("shape", ["string", "images"])
async def test_both_documented_result_shapes(
    apiframe_standin: ApiframeStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest, shape: str,
) -> None:
    apiframe_standin.result_shape = shape
    provider = provider_for(apiframe_standin, provider_http, fast_timing)
    image = await provider.generate(make_request("flux-1.1-pro", aspect_ratio="3:2"))
    assert image.format == "webp"  # the documented default of the catalogue
    assert image.width / image.height == pytest.approx(1.5, rel=0.03)


async def test_a_lost_submit_answer_is_retried_without_a_second_job(
    apiframe_standin: ApiframeStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    provider = provider_for(apiframe_standin, provider_http, fast_timing)
    router = Router({"apiframe": provider}, policy=fast_policy)
    apiframe_standin.inject("lost_answer")  # the job is made, the answer is a 502

    image = await router.generate(make_request("flux-1.1-pro", router=router))

    assert image.provider == "apiframe"
    assert len(submits(apiframe_standin)) == 2
    assert len(apiframe_standin.jobs) == 1  # charged once
    [(key, count)] = apiframe_standin.submits_per_key.items()
    assert count == 2 and key == provider.idempotency_key("job-0001")


async def test_the_idempotency_key_is_per_job_and_stable(
    provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
) -> None:
    one = ApiframeProvider(provider_http, SecretStr(KEY), "http://127.0.0.1:9", timing=fast_timing)
    two = ApiframeProvider(provider_http, SecretStr(KEY), "http://127.0.0.1:9", timing=fast_timing)
    assert one.idempotency_key("job-a") == two.idempotency_key("job-a")
    assert one.idempotency_key("job-a") != one.idempotency_key("job-b")
    assert KEY not in one.idempotency_key("job-a")


async def test_a_failed_job_is_retried_as_a_new_job(
    apiframe_standin: ApiframeStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    router = Router({"apiframe": provider_for(apiframe_standin, provider_http, fast_timing)},
                    policy=fast_policy)
    apiframe_standin.inject("job_failed")  # apiframe ends it FAILED (and refunds it)

    image = await router.generate(make_request("flux-1.1-pro", router=router))

    assert image.provider == "apiframe"
    assert [j.history[-1] for j in apiframe_standin.jobs.values()] == ["FAILED", "COMPLETED"]
    assert sorted(apiframe_standin.submits_per_key.values()) == [1, 1]


async def test_a_content_policy_failure_is_final(
    apiframe_standin: ApiframeStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, fast_policy: RetryPolicy, make_request: MakeRequest,
) -> None:
    router = Router({"apiframe": provider_for(apiframe_standin, provider_http, fast_timing)},
                    policy=fast_policy)
    with pytest.raises(ModerationError, match="content policy"):
        await router.generate(make_request("flux-1.1-pro", router=router,
                                           prompt="a forbidden thing"))
    assert len(submits(apiframe_standin)) == 1


FAULTS: list[tuple[str, type[ProviderError], int | None]] = [
    ("unauthorized", AuthenticationError, 401),
    ("inactive", AuthenticationError, 403),
    ("no_credit", InsufficientProviderCredit, 402),
    ("rate_limit", RateLimitError, 429),
    ("server_error", ServerError, 500),
    ("malformed", MalformedResponseError, 202),
    ("expired_download", ResultUnavailable, 403),
    ("job_failed", ServerError, None),
]


@pytest.mark.parametrize(("kind", "expected", "status"), FAULTS)
async def test_each_fault_maps_to_its_error(
    apiframe_standin: ApiframeStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest, caplog: pytest.LogCaptureFixture,
    kind: str, expected: type[ProviderError], status: int | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = provider_for(apiframe_standin, provider_http, fast_timing)
    apiframe_standin.inject(kind)
    with pytest.raises(ProviderError) as caught:
        await provider.generate(make_request("flux-1.1-pro"))
    assert type(caught.value) is expected and caught.value.status == status
    for text in (str(caught.value), caught.value.body, caplog.text):
        assert KEY not in text


async def test_a_hung_submit_and_a_job_that_never_ends_are_timeouts(
    apiframe_standin: ApiframeStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    timing = dataclasses.replace(fast_timing, poll_read=0.2, poll_deadline=0.3)
    provider = provider_for(apiframe_standin, provider_http, timing)
    apiframe_standin.inject("hang")
    with pytest.raises(ProviderTimeout):
        await provider.generate(make_request("flux-1.1-pro", job_id="job-hang"))
    apiframe_standin.inject("stuck")
    with pytest.raises(ProviderTimeout, match="not finished"):
        await provider.generate(make_request("flux-1.1-pro", job_id="job-stuck"))
    stuck = [j for j in apiframe_standin.jobs.values() if j.stuck]
    assert len(stuck) == 1 and stuck[0].polls >= 2


async def test_a_failed_poll_only_costs_an_interval(
    apiframe_standin: ApiframeStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = provider_for(apiframe_standin, provider_http, fast_timing)
    apiframe_standin.inject("poll_error", times=2, status=503)
    image = await provider.generate(make_request("flux-1.1-pro"))
    assert image.provider == "apiframe" and len(submits(apiframe_standin)) == 1


async def test_health_uses_a_cheap_authenticated_call(
    apiframe_standin: ApiframeStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming,
) -> None:
    good = await provider_for(apiframe_standin, provider_http, fast_timing).health()
    bad = await provider_for(apiframe_standin, provider_http, fast_timing, "afk_nope").health()
    assert (good.configured, good.key_ok) == (True, True)
    assert (bad.configured, bad.key_ok) == (True, False)
    assert apiframe_standin.submits_per_key == {}  # nothing was generated
