"""bot/boards/sheet.py: the contact sheet, one numbered PNG grid under a byte limit."""

from __future__ import annotations

import io
import threading
from functools import lru_cache

import pytest
from PIL import Image, ImageStat

from bot.boards import sheet as sheets
from bot.boards.sheet import SheetItem, SheetTooLarge, draw_sheet
from bot.boards.thumbs import BACKGROUND, make_thumbnail
from tests.support.standins.images import make_noise_image

Colour = tuple[int, int, int]


def colour(n: int) -> Colour:
    """36 clearly different colours, none near the sheet's background."""
    red, rest = divmod(n, 9)
    green, blue = divmod(rest, 3)
    return (60 + 50 * red, 60 + 75 * green, 60 + 75 * blue)


def solid(rgb: Colour, size: tuple[int, int] = (256, 256)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, rgb).save(out, "WEBP", quality=90)
    return out.getvalue()


@lru_cache(maxsize=1)
def noisy_thumbnails() -> tuple[bytes, ...]:
    """Thumbnails made the bot's way from 36 noisy 1 MP results: the hardest to compress."""
    return tuple(make_thumbnail(make_noise_image(1024, 1024, "jpeg", seed=n))
                 for n in range(36))


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.convert("RGB")


def near(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 10) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def mean(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, ...]:
    return tuple(round(value) for value in ImageStat.Stat(image.crop(box)).mean)


@pytest.mark.parametrize(("count", "columns", "rows"),
                         [(1, 1, 1), (4, 2, 2), (5, 3, 2), (7, 3, 3), (36, 6, 6)])
def test_every_item_gets_a_cell_that_shows_its_thumbnail_in_the_order_given(
        count: int, columns: int, rows: int) -> None:
    items = [SheetItem(count - i, solid(colour(i)), f"prompt {i}") for i in range(count)]

    result = draw_sheet(items, 10 * 1024 * 1024)

    image = decode(result.png)
    layout = result.layout
    assert (layout.columns, layout.rows, layout.tile) == (columns, rows, 256)
    gap, tile, caption = layout.gap, layout.tile, layout.caption
    assert image.size == (columns * tile + (columns + 1) * gap,
                          rows * (tile + caption) + (rows + 1) * gap)
    for index in range(columns * rows):
        row, column = divmod(index, columns)
        left = gap + column * (tile + gap)
        top = gap + row * (tile + caption + gap)
        # The lower right of the square, clear of the number badge.
        body = mean(image, (left + tile // 2, top + tile // 2, left + tile - 4, top + tile - 4))
        if index < count:
            assert near(body, colour(index)), f"cell {index} shows {body}"
        else:  # the grid's last row is not full: the rest is background
            assert near(body, BACKGROUND, 2), f"empty cell {index} shows {body}"
        assert near(image.getpixel((left - gap // 2, top + tile // 2)), BACKGROUND, 2)


def test_each_cell_has_a_number_badge_in_its_corner() -> None:
    items = [SheetItem(n, solid((128, 128, 128)), "") for n in (1, 36)]

    result = draw_sheet(items, 10 * 1024 * 1024)

    image = decode(result.png)
    badges = []
    for index in range(2):
        left, top, _, _ = result.layout.cell(index)
        corner = image.crop((left, top, left + 64, top + 48))
        colours = corner.getcolors(64 * 48) or []
        assert any(near(c, (250, 250, 250), 20) for _, c in colours), "no white figure or rim"
        assert any(near(c, (9, 9, 11), 10) for _, c in colours), "no dark badge"
        badges.append(corner.tobytes())
    assert badges[0] != badges[1], "the numbers 1 and 36 are drawn alike"


def test_a_thumbnail_that_is_not_square_is_centred_in_its_cell() -> None:
    result = draw_sheet([SheetItem(1, solid((200, 60, 60), (256, 144)), "wide")], 10**7)

    image = decode(result.png)
    left, top, _, bottom = result.layout.cell(0)
    assert near(image.getpixel((left + 200, top + 128)), (200, 60, 60))
    assert near(image.getpixel((left + 200, top + 20)), BACKGROUND, 2)  # letterbox above
    assert near(image.getpixel((left + 200, bottom - 20)), BACKGROUND, 2)  # and below


def test_36_noisy_images_fit_a_small_limit_by_shrinking_the_cells() -> None:
    items = [SheetItem(36 - n, thumb, "a noisy one, with a long prompt " * 4)
             for n, thumb in enumerate(noisy_thumbnails())]
    limit = 600 * 1024

    result = draw_sheet(items, limit)

    assert len(result.png) <= limit
    image = decode(result.png)
    layout = result.layout
    assert sheets.MIN_TILE <= layout.tile < 256
    assert (layout.columns, layout.rows) == (6, 6)
    assert image.size == layout.size


def test_a_limit_even_the_smallest_cells_cannot_meet_raises_sheet_too_large() -> None:
    items = [SheetItem(36 - n, thumb, "noise") for n, thumb in enumerate(noisy_thumbnails())]

    with pytest.raises(SheetTooLarge) as caught:
        draw_sheet(items, 20 * 1024)

    assert caught.value.limit_bytes == 20 * 1024
    assert caught.value.smallest > 20 * 1024
    assert "upload limit" in caught.value.message  # for the member, as it is


def test_a_thumbnail_that_does_not_decode_leaves_its_cell_blank_not_the_sheet_failed() -> None:
    items = [SheetItem(2, b"not an image", "lost"), SheetItem(1, solid((40, 160, 90)), "kept")]

    result = draw_sheet(items, 10**7)

    image = decode(result.png)
    first, second = result.layout.cell(0), result.layout.cell(1)
    assert not near(mean(image, (first[0] + 128, first[1] + 128, first[2] - 4, first[3] - 4)),
                    (40, 160, 90), 40)
    assert near(mean(image, (second[0] + 128, second[1] + 128, second[2] - 4, second[3] - 4)),
                (40, 160, 90))


@pytest.mark.parametrize("count", [0, 37])
def test_a_sheet_holds_1_to_36_items(count: int) -> None:
    with pytest.raises(ValueError, match="1 to 36"):
        draw_sheet([SheetItem(n, solid((90, 90, 90)), "") for n in range(count)], 10**7)


async def test_the_async_wrapper_draws_off_the_event_loop(
        monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    real = sheets.draw_sheet

    def recording(items: list[SheetItem], limit_bytes: int) -> sheets.ContactSheet:
        threads.append(threading.get_ident())
        return real(items, limit_bytes)

    monkeypatch.setattr(sheets, "draw_sheet", recording)

    result = await sheets.draw_sheet_async([SheetItem(1, solid((90, 90, 90)), "")], 10**7)

    assert decode(result.png).size == result.layout.size
    assert threads and threading.get_ident() not in threads
