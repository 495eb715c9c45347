"""flux-2-pro's IMAGE_EDITOR on 1min.ai against its stand-in: the wire body, and the
stand-in's own strictness about what the editor takes."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
import pytest
from pydantic import SecretStr

from bot.catalogue import MODELS, OptionError, check_options
from bot.providers.base import GenerationRequest
from bot.providers.http import ProviderTiming, fetch, make_http_client
from bot.providers.onemin import OneMinProvider
from tests.support.standins.onemin import OneMinStandIn
from tests.support.standins.providers import TEST_KEYS

MakeRequest = Callable[..., GenerationRequest]


async def test_an_edit_uploads_the_image_and_sends_its_path_as_image_url(
    onemin_standin: OneMinStandIn, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, make_request: MakeRequest,
) -> None:
    provider = OneMinProvider(provider_http, SecretStr(TEST_KEYS["onemin"]),
                              onemin_standin.base_url, timing=fast_timing)
    request = make_request(
        "flux-2-pro-edit", image=True, prompt="make the sky red", seed=42,
        aspect_ratio="match_input_image", output_format="jpg", output_quality=60, steps=20,
        guidance=4, safety_tolerance=2, prompt_upsampling=True,
    )

    image = await provider.generate(request)

    [upload] = onemin_standin.recorded("/api/assets")
    assert upload.files == {"asset": "reference.png"}
    [asset_path] = onemin_standin.assets
    [call] = onemin_standin.recorded("/api/features", "POST")
    assert call.json == {
        "type": "IMAGE_EDITOR",
        "model": "black-forest-labs/flux-2-pro",
        "promptObject": {
            "prompt": "make the sky red", "imageUrl": asset_path,
            "aspect_ratio": "match_input_image", "output_format": "jpg", "output_quality": 60,
            "steps": 20, "guidance": 4, "safety_tolerance": 2, "prompt_upsampling": True,
            "seed": 42,
        },
    }
    assert image.format == "jpeg" and image.seed == 42


def test_the_editor_is_its_own_catalogue_entry_with_the_pages_ranges() -> None:
    model = MODELS["flux-2-pro-edit"]
    assert model.edits and not MODELS["flux-2-pro"].edits
    check_options(model, {"steps": 50, "guidance": 2, "aspect_ratio": "match_input_image"})
    for options in ({"steps": 14}, {"guidance": 5.5}, {"output_format": "webp"},
                    {"width": 512}):
        with pytest.raises(OptionError):
            check_options(model, options)
    # match_input_image is the editor's alone.
    with pytest.raises(OptionError):
        check_options(MODELS["flux-2-pro"], {"aspect_ratio": "match_input_image"})


@pytest.mark.parametrize(
    ("prompt_object", "expected"),
    [
        ({"prompt": "x", "imageUrl": "development/images/never-uploaded.png"},
         "is not an uploaded asset key"),
        ({"prompt": "x", "imageUrl": "{asset}", "width": 512}, "width: unknown field"),
        ({"prompt": "x", "imageUrl": "{asset}", "steps": 60}, "steps"),
        ({"prompt": "x"}, "imageUrl: required"),
    ],
)
async def test_the_standin_refuses_what_the_editor_does_not_take(
    onemin_standin: OneMinStandIn, prompt_object: dict[str, object], expected: str,
) -> None:
    headers = {"API-KEY": TEST_KEYS["onemin"]}
    base, timeout = onemin_standin.base_url, ProviderTiming().timeout(10.0)
    async with make_http_client() as http:
        form = aiohttp.FormData()
        form.add_field("asset", b"png", filename="in.png", content_type="image/png")
        uploaded = await fetch(http, "POST", f"{base}/api/assets", provider="onemin",
                               http_timeout=timeout, headers=headers, data=form)
        asset = uploaded.json()["asset"]["key"]
        if prompt_object.get("imageUrl") == "{asset}":
            prompt_object = {**prompt_object, "imageUrl": asset}
        answer = await fetch(http, "POST", f"{base}/api/features", provider="onemin",
                             http_timeout=timeout, headers=headers, json={
            "type": "IMAGE_EDITOR", "model": "black-forest-labs/flux-2-pro",
            "promptObject": prompt_object,
        })
    assert answer.status == 400
    assert any(expected in v for v in onemin_standin.violations)
    onemin_standin.violations.clear()  # recorded as it should be; the fixture checks none
