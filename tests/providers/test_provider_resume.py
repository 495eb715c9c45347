"""The asynchronous providers (apiframe, BFL) against their stand-ins: each says which job
it made the moment the provider accepted it, and a job submitted before a restart is
polled and downloaded without a second submit."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import aiohttp
import pytest
from pydantic import SecretStr

from bot.providers.apiframe import ApiframeProvider
from bot.providers.base import GenerationRequest, OnSubmitted, Submission
from bot.providers.bfl import BflProvider
from bot.providers.errors import ResultUnavailable
from bot.providers.http import ProviderTiming
from tests.support.standins.apiframe import ApiframeStandIn
from tests.support.standins.bfl import POLL_PATH, BflStandIn
from tests.support.standins.providers import BFL_TEST_KEY, TEST_KEYS

MakeRequest = Callable[..., GenerationRequest]


def told(into: list[Submission]) -> OnSubmitted:
    async def record(submission: Submission) -> None:
        into.append(submission)
    return record


async def test_apiframe_tells_its_job_then_resumes_it_without_a_second_submit(
    apiframe_standin: ApiframeStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = ApiframeProvider(provider_http, SecretStr(TEST_KEYS["apiframe"]),
                                apiframe_standin.base_url, timing=fast_timing)
    submissions: list[Submission] = []
    request = dataclasses.replace(make_request("flux-1.1-pro"),
                                  on_submitted=told(submissions))
    first = await provider.generate(request)
    (job_id,) = apiframe_standin.jobs
    assert submissions == [Submission("apiframe", job_id)]

    # After a restart: the stored job is polled and downloaded again, never resubmitted.
    resumed = await provider.generate(dataclasses.replace(
        make_request("flux-1.1-pro"), resume=Submission("apiframe", job_id)))
    assert resumed.data == first.data
    assert len(apiframe_standin.generation_bodies()) == 1


async def test_bfl_tells_its_polling_url_then_resumes_there(
    provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    async with BflStandIn(BFL_TEST_KEY) as standin:
        provider = BflProvider(provider_http, SecretStr(BFL_TEST_KEY), standin.base_url,
                               timing=fast_timing)
        submissions: list[Submission] = []
        request = dataclasses.replace(make_request("flux-dev"),
                                      on_submitted=told(submissions))
        await provider.generate(request)
        (submission,) = submissions
        assert submission.provider == "bfl"
        assert submission.poll_url == f"{standin.base_url}{POLL_PATH}?id={submission.job_id}"

        resumed = await provider.generate(dataclasses.replace(
            make_request("flux-dev"), resume=submission))
        assert resumed.provider == "bfl"
        assert len(standin.generation_bodies()) == 1

        # The key goes with every poll: a stored URL off BFL's hosts is never polled.
        with pytest.raises(ResultUnavailable):
            await provider.generate(dataclasses.replace(make_request("flux-dev"), resume=(
                Submission("bfl", submission.job_id, "http://evil.example/v1/get_result"))))
    assert standin.violations == []
