"""bot/boards/thumbs.py: the small thumbnail of a result kept for contact sheets."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from bot.boards import thumbs
from bot.images import ImageError
from tests.support.standins.images import (
    make_image,
    make_noise_image,
    not_an_image,
    with_header_size,
)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
@pytest.mark.parametrize(("width", "height"), [(1024, 1024), (1376, 768), (768, 1376)])
def test_thumbnail_is_a_small_webp_at_256_px_on_the_long_side(fmt: str, width: int,
                                                              height: int) -> None:
    data = thumbs.make_thumbnail(make_image(width, height, fmt))

    image = decode(data)
    assert image.format == "WEBP"
    assert max(image.size) == 256
    assert image.width / image.height == pytest.approx(width / height, rel=0.02)
    assert len(data) <= thumbs.THUMB_MAX_BYTES


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_a_noisy_two_megapixel_result_still_makes_a_thumbnail_of_a_few_tens_of_kb(
        fmt: str) -> None:
    data = thumbs.make_thumbnail(make_noise_image(1440, 1440, fmt, seed=3))

    assert decode(data).size == (256, 256)
    assert len(data) <= thumbs.THUMB_MAX_BYTES


def test_the_thumbnail_shows_the_image() -> None:
    left_red = Image.new("RGB", (800, 400), (200, 30, 30))
    left_red.paste((30, 30, 200), (400, 0, 800, 400))
    out = io.BytesIO()
    left_red.save(out, "PNG")

    image = decode(thumbs.make_thumbnail(out.getvalue())).convert("RGB")

    assert image.size == (256, 128)
    assert all(abs(a - b) <= 12 for a, b in zip(image.getpixel((40, 64)), (200, 30, 30),
                                                strict=True))
    assert all(abs(a - b) <= 12 for a, b in zip(image.getpixel((216, 64)), (30, 30, 200),
                                                strict=True))


def test_a_small_image_is_not_enlarged() -> None:
    assert decode(thumbs.make_thumbnail(make_image(100, 60, "png"))).size == (100, 60)


def test_transparency_is_laid_over_the_sheet_background() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (512, 512), (255, 255, 255, 0)).save(out, "PNG")

    image = decode(thumbs.make_thumbnail(out.getvalue())).convert("RGB")

    assert all(abs(a - b) <= 4 for a, b in zip(image.getpixel((128, 128)), thumbs.BACKGROUND,
                                               strict=True))


def test_a_photo_taken_sideways_is_turned_upright() -> None:
    # Stored 400x200 with EXIF orientation 6: shown rotated, 200 wide and 400 high.
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.new("RGB", (400, 200), (90, 140, 60)).save(out, "JPEG", exif=exif.tobytes())

    assert decode(thumbs.make_thumbnail(out.getvalue())).size == (128, 256)


@pytest.mark.parametrize("data", [b"", b"<html>nope</html>", not_an_image()])
def test_bytes_that_are_not_an_image_raise_image_error(data: bytes) -> None:
    with pytest.raises(ImageError):
        thumbs.make_thumbnail(data)


async def test_the_async_wrapper_decodes_off_the_event_loop(
        monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    names: list[str] = []
    real = thumbs.make_thumbnail

    def recording(data: bytes, side: int = thumbs.THUMB_SIDE) -> bytes:
        threads.append(threading.get_ident())
        names.append(threading.current_thread().name)
        return real(data, side)

    monkeypatch.setattr(thumbs, "make_thumbnail", recording)
    loop_thread = threading.get_ident()

    data = await thumbs.make_thumbnail_async(make_image(640, 640, "jpeg"))

    assert decode(data).size == (256, 256)
    assert threads and loop_thread not in threads
    # Not in asyncio's default pool, where host names are resolved for every connection.
    assert all(name.startswith("fluxcord-images") for name in names), names


def test_a_result_claiming_a_huge_picture_is_refused_before_decoding(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A few KB whose header says 8000x8000: about 250 MB and half a second to decode.
    bomb = with_header_size(make_image(64, 64, "png"), 8000, 8000)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow was asked to open the image")

    monkeypatch.setattr(Image, "open", refuse)
    with pytest.raises(ImageError, match="8000×8000 pixels is more than allowed"):
        thumbs.make_thumbnail(bomb)
