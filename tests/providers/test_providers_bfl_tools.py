"""BFL's expand and fill against the stand-in: the wire bodies, the mask, and the
stand-in's strict checks (unknown field, range, a mask not the image's size)."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from PIL import Image
from pydantic import SecretStr

from bot import images
from bot.providers.base import GenerationRequest
from bot.providers.bfl import BflProvider
from bot.providers.errors import ProviderError
from bot.providers.http import ProviderTiming, Reply, fetch
from bot.tools.mask import region_mask_png
from tests.support.standins.bfl import BflStandIn, mask_of
from tests.support.standins.images import make_image
from tests.support.standins.providers import BFL_TEST_KEY

MakeRequest = Callable[..., GenerationRequest]


@pytest.fixture
async def bfl() -> AsyncIterator[BflStandIn]:
    async with BflStandIn(BFL_TEST_KEY) as standin:
        yield standin


def provider_for(standin: BflStandIn, http: aiohttp.ClientSession,
                 timing: ProviderTiming) -> BflProvider:
    return BflProvider(http, SecretStr(BFL_TEST_KEY), standin.base_url, timing=timing)


async def test_zoom_out_sends_the_image_and_its_margins_to_expand(
    bfl: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest,
) -> None:
    request = make_request("zoom-out", image=True, seed=5, top=24, bottom=24, left=32,
                           right=32)
    image = await provider_for(bfl, provider_http, fast_timing).generate(request)

    [submit] = bfl.recorded("/v1/flux-pro-1.0-expand", "POST")
    sent = dict(submit.json)
    assert request.image is not None
    assert base64.b64decode(sent.pop("image")) == request.image.data
    assert sent == {"prompt": request.prompt, "seed": 5, "top": 24, "bottom": 24,
                    "left": 32, "right": 32, "output_format": "png", "safety_tolerance": 2}
    # The input (64x48) with its margins.
    assert (image.width, image.height) == (128, 96)
    assert bfl.violations == []


async def test_vary_region_sends_a_black_and_white_mask_of_the_images_size(
    bfl: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest,
) -> None:
    request = make_request("vary-region", image=True, region="1,5", output_format="jpg")
    image = await provider_for(bfl, provider_http, fast_timing).generate(request)

    [submit] = bfl.recorded("/v1/flux-pro-1.0-fill", "POST")
    body = submit.json
    assert set(body) == {"prompt", "seed", "image", "mask", "output_format", "safety_tolerance"}
    assert body["output_format"] == "jpeg"
    mask = mask_of(body)
    assert mask.size == (64, 48) and mask.mode == "RGB"
    # White on cells 1 (top left, 21x16) and 5 (the centre, 21x16), black elsewhere.
    grey = mask.convert("L")
    histogram = grey.histogram()
    assert histogram[255] == 2 * 21 * 16
    assert histogram[0] == 64 * 48 - 2 * 21 * 16
    assert grey.getpixel((0, 0)) == 255 and grey.getpixel((32, 24)) == 255
    assert grey.getpixel((63, 47)) == 0
    assert images.inspect(image.data).width == 64
    assert bfl.violations == []


async def post(http: aiohttp.ClientSession, bfl: BflStandIn, path: str,
               body: dict[str, object]) -> Reply:
    return await fetch(http, "POST", f"{bfl.base_url}/v1/{path}", provider="bfl",
                       http_timeout=ProviderTiming().timeout(10.0), json=body,
                       headers={"x-key": BFL_TEST_KEY})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def rgba_mask() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 48), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("path", "extra", "problem"), [
    ("flux-pro-1.0-expand", {"top": 2049}, "outside"),
    ("flux-pro-1.0-expand", {"width": 512}, "unknown field"),
    ("flux-pro-1.0-expand", {"steps": 10}, "outside"),
    ("flux-pro-1.0-fill", {"mask": b64(region_mask_png(32, 48, (1,)))}, "not the image's size"),
    ("flux-pro-1.0-fill", {"mask": b64(rgba_mask())}, "alpha"),
    ("flux-pro-1.0-fill", {"guidance": 101}, "outside"),
])
async def test_the_standin_refuses_what_bfl_refuses(
    bfl: BflStandIn, provider_http: aiohttp.ClientSession, path: str, extra: dict[str, object],
    problem: str,
) -> None:
    body = {"prompt": "x", "image": b64(make_image(64, 48, "png")), **extra}
    answer = await post(provider_http, bfl, path, body)
    assert answer.status == 422
    assert problem in answer.json()["detail"][0]["msg"]
    assert any(problem in v for v in bfl.violations)


async def test_a_refused_tool_body_is_a_rejection_not_a_retry(
    bfl: BflStandIn, provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
    make_request: MakeRequest,
) -> None:
    request = make_request("zoom-out", image=True, top=10)
    object.__setattr__(request.plan.attempts[0], "params",
                       {**request.plan.attempts[0].params, "width": 5})
    with pytest.raises(ProviderError) as caught:
        await provider_for(bfl, provider_http, fast_timing).generate(request)
    assert not caught.value.retryable
    assert len(bfl.recorded("/v1/flux-pro-1.0-expand", "POST")) == 1
