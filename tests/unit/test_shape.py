"""An aspect ratio made as a size for a provider that takes only width and height."""

from __future__ import annotations

import pytest

from bot.catalogue import MODELS, RATIOS
from bot.catalogue.shape import can_shape, shaped, size_for


@pytest.mark.parametrize(("model", "multiple", "side_max"), [
    ("flux-1.1-pro", 32, 1440), ("flux-2-pro", 16, 2048)])
@pytest.mark.parametrize("ratio", RATIOS)
def test_each_ratio_is_a_size_of_that_ratio_near_one_megapixel(
    model: str, multiple: int, side_max: int, ratio: str
) -> None:
    schema = MODELS[model].schema("bfl")
    assert schema is not None
    width, height = size_for(ratio, schema.params["width"], schema.params["height"])
    across, down = (int(p) for p in ratio.split(":"))
    assert width % multiple == 0 and height % multiple == 0
    assert max(width, height) <= side_max
    assert abs((width / height) / (across / down) - 1) < 0.03
    assert 0.85 < width * height / 2**20 < 1.15


def test_a_ratio_becomes_width_and_height_and_custom_keeps_the_members_size() -> None:
    schema = MODELS["flux-1.1-pro"].schema("bfl")
    assert schema is not None
    assert shaped(schema, {"aspect_ratio": "16:9", "seed": 1}) == (
        {"seed": 1}, {"width": 1376, "height": 768})
    assert shaped(schema, {"aspect_ratio": "custom", "width": 800}) == ({"width": 800}, {})
    # FLUX.2 has no custom shape; a provider with its own aspect_ratio keeps it.
    flux_2 = MODELS["flux-2-pro"].schema("bfl")
    assert flux_2 is not None and not can_shape(flux_2, "custom")
    segmind = MODELS["flux-1.1-pro"].schema("segmind")
    assert segmind is not None and not can_shape(segmind, "16:9")
