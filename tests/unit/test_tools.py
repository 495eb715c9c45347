"""The tools' rules: Zoom Out and Pan geometry within 2048 px, Vary Region's cells and
mask, and Vary's Subtle staying measurably closer to its source than Strong."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageStat

from bot.catalogue.plan import make_plan
from bot.errors import UserError
from bot.providers.base import GenerationRequest, InputImage
from bot.providers.placeholder import PLACEHOLDER_SCHEMAS, PlaceholderProvider
from bot.tools import STRONG, SUBTLE, TOOLS, Tool, expand_for
from bot.tools.mask import cell_box, parse_cells, region_mask
from bot.tools.source import nearest_ratio, tool_input


def test_zoom_out_adds_equal_margins_so_each_axis_is_the_factor() -> None:
    two = expand_for(1024, 768, factor=2.0)
    assert (two.left, two.right, two.top, two.bottom) == (512, 512, 384, 384)
    assert two.canvas == (2048, 1536) and not two.shrunk
    half = expand_for(1024, 768, factor=1.5)
    assert (half.left, half.right, half.top, half.bottom) == (256, 256, 192, 192)


def test_pans_grow_one_side_by_half_the_image() -> None:
    assert expand_for(1024, 768, side="left").margins() == {
        "top": 0, "bottom": 0, "left": 512, "right": 0}
    assert expand_for(1024, 768, side="bottom").margins() == {
        "top": 0, "bottom": 384, "left": 0, "right": 0}


def test_a_canvas_past_2048_shrinks_the_input_first() -> None:
    found = expand_for(1440, 1440, factor=2.0)
    assert found.shrunk and (found.width, found.height) == (1024, 1024)
    assert found.canvas == (2048, 2048)
    pan = expand_for(1440, 1024, side="right")
    assert pan.shrunk and pan.canvas[0] <= 2048 and pan.right == pan.width // 2


@given(st.integers(64, 4096), st.integers(64, 4096),
       st.sampled_from([t for t in TOOLS if t.model in ("zoom-out", "pan")]))
def test_no_canvas_ever_passes_2048(width: int, height: int, tool: Tool) -> None:
    found = expand_for(width, height, factor=tool.factor, side=tool.side)
    assert max(found.canvas) <= 2048
    assert found.shrunk == ((found.width, found.height) != (width, height))


@pytest.mark.parametrize("text", ["", "0", "10", "1,,2", "a", "1;2", "١", "1,2,3,4,5,6,7,8,9"])
def test_cells_parse_strictly(text: str) -> None:
    with pytest.raises(UserError):
        parse_cells(text)


def test_cells_tile_the_image_and_the_mask_is_white_only_there() -> None:
    boxes = [cell_box(c, 100, 70) for c in range(1, 10)]
    assert sum((r - left) * (b - t) for left, t, r, b in boxes) == 100 * 70
    assert parse_cells("9, 1,9") == (1, 9)
    mask = region_mask(100, 70, (9,))
    assert mask.mode == "RGB" and mask.size == (100, 70)
    assert mask.getpixel((99, 69)) == (255, 255, 255)
    assert mask.getpixel((0, 0)) == (0, 0, 0)
    assert mask.convert("L").histogram()[255] == 34 * 24


def test_nearest_ratio() -> None:
    assert nearest_ratio(1920, 1080) == "16:9"
    assert nearest_ratio(1000, 1010) == "1:1"


def source_picture() -> bytes:
    """A picture with shapes, so a change of composition shows."""
    image = Image.new("RGB", (256, 192), (30, 60, 120))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 30, 140, 130), fill=(240, 200, 60))
    draw.rectangle((150, 100, 240, 180), fill=(200, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def distance(a: bytes, b: bytes) -> float:
    """A perceptual distance: the mean absolute difference of 32x32 greyscale thumbnails
    (0 the same, 255 opposite), blind to noise finer than the composition."""
    def thumb(data: bytes) -> Image.Image:
        with Image.open(io.BytesIO(data)) as image:
            return image.convert("L").resize((32, 32), Image.Resampling.BOX)
    return ImageStat.Stat(ImageChops.difference(thumb(a), thumb(b))).mean[0]


async def vary(source: bytes, strength: float, seed: int) -> bytes:
    made = await tool_input(next(t for t in TOOLS if t.strength == strength), source,
                            16_000_000)
    plan = make_plan("vary", [PLACEHOLDER_SCHEMAS["vary"]], made.options, 6, image=True)
    image = await PlaceholderProvider().generate(GenerationRequest(
        job_id="j", prompt="a harbour", seed=seed, plan=plan,
        image=InputImage(made.data, "source.png", "image/png", "attachment://source.png")))
    image.release()
    return image.data


@pytest.mark.asyncio
async def test_vary_subtle_stays_closer_to_the_source_than_strong() -> None:
    source = source_picture()
    for seed in (1, 2, 3):
        subtle = distance(source, await vary(source, SUBTLE, seed))
        strong = distance(source, await vary(source, STRONG, seed))
        assert subtle < strong * 0.6, (seed, subtle, strong)


@pytest.mark.asyncio
async def test_the_placeholder_draws_around_an_expand_and_into_a_fill() -> None:
    source = source_picture()

    async def remake(model: str, options: dict[str, object]) -> bytes:
        plan = make_plan(model, [PLACEHOLDER_SCHEMAS[model]], options, 6, image=True)
        image = await PlaceholderProvider().generate(GenerationRequest(
            job_id="j", prompt="a harbour", seed=1, plan=plan,
            image=InputImage(source, "source.png", "image/png", "attachment://source.png")))
        image.release()
        return image.data

    zoomed = await remake("pan", {"top": 0, "bottom": 0, "left": 128, "right": 0})
    with Image.open(io.BytesIO(zoomed)) as image:
        assert image.size == (384, 192)
        kept = image.convert("RGB").crop((128, 0, 384, 192))
    with Image.open(io.BytesIO(source)) as original:
        assert ImageStat.Stat(ImageChops.difference(kept, original.convert("RGB"))).mean == [
            0, 0, 0]
    filled = await remake("vary-region", {"region": "9"})
    with Image.open(io.BytesIO(filled)) as image:
        assert image.size == (256, 192)
        corner = image.convert("RGB").crop((0, 0, 170, 128))
    with Image.open(io.BytesIO(source)) as original:
        same = original.convert("RGB").crop((0, 0, 170, 128))
        assert ImageStat.Stat(ImageChops.difference(corner, same)).mean == [0, 0, 0]
