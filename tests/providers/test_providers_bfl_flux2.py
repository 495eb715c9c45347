"""FLUX.2 [pro] on BFL against its stand-in: references in order, a ratio made as a size,
the product's safety scale mapped onto BFL's, and each task's cost in the log."""

from __future__ import annotations

import base64
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from pydantic import SecretStr

from bot.providers.base import GenerationRequest, InputImage
from bot.providers.bfl import BflProvider
from bot.providers.errors import InvalidRequestError
from bot.providers.http import ProviderTiming, fetch
from tests.support.standins.bfl import BflStandIn, flux_2_problems
from tests.support.standins.images import make_image
from tests.support.standins.providers import BFL_TEST_KEY

MakeRequest = Callable[..., GenerationRequest]
CDN = "https://cdn.discordapp.com/attachments/1/2/ref{}.png?ex=1&is=2&hm=3"


@pytest.fixture
async def bfl_standin() -> AsyncIterator[BflStandIn]:
    async with BflStandIn(BFL_TEST_KEY) as standin:
        yield standin
    assert standin.violations == []


def provider_for(standin: BflStandIn, http: aiohttp.ClientSession, timing: ProviderTiming
                 ) -> BflProvider:
    return BflProvider(http, SecretStr(BFL_TEST_KEY), standin.base_url, timing=timing)


def reference(number: int, url: str | None = None) -> InputImage:
    return InputImage(make_image(32 + number, 32, "png"), f"ref{number}.png", "image/png",
                      CDN.format(number) if url is None else url)


async def test_flux_2_pro_takes_a_ratio_as_a_size_and_the_mapped_tolerance(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest, caplog: pytest.LogCaptureFixture,
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    request = make_request("flux-2-pro", seed=7, aspect_ratio="16:9", safety_tolerance=1,
                           output_format="jpg", prompt_upsampling=True, cap=2,
                           job_id="job-flux2")

    with caplog.at_level(logging.INFO, logger="bot.providers.bfl"):
        image = await provider.generate(request)

    [sent] = bfl_standin.flux_2_bodies()
    # The product's 1 (strictest) is BFL's 0; 16:9 at about one megapixel on 16s.
    assert sent == {"prompt": request.prompt, "seed": 7, "width": 1360, "height": 768,
                    "safety_tolerance": 0, "output_format": "jpeg",
                    "prompt_upsampling": True}
    assert (image.width, image.height, image.format) == (1360, 768, "jpeg")
    costs = [r.getMessage() for r in caplog.records if "costs" in r.getMessage()]
    assert costs == ["bfl: job job-flux2 costs 4.5 BFL credits (input 0.0 MP, output 1.04 MP)"]


async def test_an_unset_tolerance_is_bfl_default_within_the_cap(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest,
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    await provider.generate(make_request("flux-2-pro", cap=6))
    await provider.generate(make_request("flux-2-pro", cap=2))
    await provider.generate(make_request("flux-2-pro", cap=6, safety_tolerance=6))

    sent = [b["safety_tolerance"] for b in bfl_standin.flux_2_bodies()]
    # BFL's own default (2) where the cap allows it; cap 2 is BFL's 1; 6 is BFL's 5.
    assert sent == [2, 1, 5]


async def test_blend_sends_its_references_in_order(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest,
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    # The third has only bytes (no link to hand BFL): it goes as base64.
    refs = (reference(1), reference(2), reference(3, url=""), reference(4))
    request = dataclasses.replace(make_request("blend", seed=3), references=refs)

    await provider.generate(request)

    [sent] = bfl_standin.flux_2_bodies()
    assert [k for k in sent if k.startswith("input_image")] == [
        "input_image", "input_image_2", "input_image_3", "input_image_4"]
    assert sent["input_image"] == CDN.format(1)
    assert sent["input_image_2"] == CDN.format(2)
    assert base64.b64decode(sent["input_image_3"]) == refs[2].data
    assert sent["input_image_4"] == CDN.format(4)


async def test_more_references_than_the_schema_takes_are_refused_before_any_call(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest,
) -> None:
    provider = provider_for(bfl_standin, provider_http, fast_timing)
    request = dataclasses.replace(make_request("blend"),
                                  references=tuple(reference(n) for n in range(1, 10)))
    with pytest.raises(InvalidRequestError):
        await provider.generate(request)
    # /imagine's flux-2-pro takes no references at all.
    with pytest.raises(InvalidRequestError):
        await provider.generate(dataclasses.replace(make_request("flux-2-pro"),
                                                    references=(reference(1),)))
    assert bfl_standin.flux_2_bodies() == []


async def test_the_standin_refuses_what_bfl_refuses(
    bfl_standin: BflStandIn, provider_http: aiohttp.ClientSession,
) -> None:
    nine = {("input_image" if n == 1 else f"input_image_{n}"): CDN.format(n)
            for n in range(1, 10)}
    assert any("at most 8 reference images" in p
               for p in flux_2_problems({"prompt": "p", **nine}))
    assert flux_2_problems({"prompt": "p", "safety_tolerance": 6}) != []
    assert flux_2_problems({"prompt": "p", "aspect_ratio": "16:9"}) != []
    assert flux_2_problems({"prompt": "p", "width": 2048, "height": 2064}) != []
    assert flux_2_problems({"prompt": "p", "width": 1000, "height": 1008}) != []
    assert flux_2_problems({"prompt": "p", "input_image": "not base64!"}) != []
    assert flux_2_problems({"prompt": "p", "width": 2048, "height": 2048,
                            "input_image": CDN.format(1), "safety_tolerance": 5}) == []

    reply = await fetch(provider_http, "POST", f"{bfl_standin.base_url}/v1/flux-2-pro",
                        provider="bfl", http_timeout=ProviderTiming().timeout(10.0),
                        headers={"x-key": BFL_TEST_KEY}, json={"prompt": "p", **nine})
    assert reply.status == 422
    assert "at most 8 reference images" in reply.text
    bfl_standin.violations.clear()  # refused as the test meant

