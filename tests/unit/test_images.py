"""bot/images.py: inspecting results and fitting them under a channel's upload limit."""

from __future__ import annotations

import io
import os
import tracemalloc
from typing import Any

import pytest
from PIL import Image, ImageFile

from bot import images
from tests.support.standins.images import (
    broken_picture,
    make_image,
    not_an_image,
    rle_bmp,
    with_header_size,
)


def noise(width: int, height: int, fmt: str) -> bytes:
    """An image that does not compress: the worst case for an upload limit."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt],
               **({} if fmt == "png" else {"quality": 95}))
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "expected"), [("png", "png"), ("jpg", "jpeg"),
                                               ("jpeg", "jpeg"), ("webp", "webp")])
def test_inspect_tells_format_and_size(fmt: str, expected: str) -> None:
    assert images.inspect(make_image(320, 200, fmt)) == images.ImageInfo(expected, 320, 200)


@pytest.mark.parametrize("data", [b"", b"<html>nope</html>", not_an_image()])
def test_inspect_refuses_what_is_not_a_whole_image(data: bytes) -> None:
    with pytest.raises(images.ImageError):
        images.inspect(data)


def test_inspect_refuses_formats_discord_results_do_not_use() -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "GIF")
    with pytest.raises(images.ImageError, match="not a PNG, JPEG or WebP"):
        images.inspect(out.getvalue())


@pytest.mark.parametrize(("fmt", "ext"), [("jpeg", "jpg"), ("jpg", "jpg"), ("JPEG", "jpg"),
                                          ("png", "png"), ("webp", "webp")])
def test_file_extension(fmt: str, ext: str) -> None:
    assert images.file_extension(fmt) == ext


def test_file_extension_refuses_an_unknown_format() -> None:
    with pytest.raises(images.ImageError):
        images.file_extension("gif")


def test_an_image_under_the_limit_is_left_alone() -> None:
    data = make_image(256, 256, "png")
    assert images.fit_under(data, len(data), "png") == (data, "png", None)


def test_a_large_png_becomes_a_webp_that_fits() -> None:
    data = noise(512, 512, "png")
    limit = len(data) // 3
    out, fmt, note = images.fit_under(data, limit, "png")
    assert len(out) <= limit and fmt == "webp"
    assert images.inspect(out) == images.ImageInfo("webp", 512, 512)
    assert note is not None and "PNG to WEBP" in note


def test_a_jpeg_loses_quality_then_size_until_it_fits() -> None:
    data = noise(640, 480, "jpeg")
    limit = 40 * 1024
    out, fmt, note = images.fit_under(data, limit, "jpg")
    info = images.inspect(out)
    assert len(out) <= limit and fmt == "jpeg" and info.format == "jpeg"
    assert info.width / info.height == pytest.approx(640 / 480, rel=0.02)
    assert info.width < 640  # noise at 40 KB needs a smaller picture
    assert note is not None and "scaled from 640×480" in note and "40 KB" in note


def test_a_result_larger_than_flux_makes_is_scaled_to_that_size_before_its_quality_drops(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "FIT_PIXELS", 200 * 100)  # as 2048x2048 is to a real result
    data = noise(400, 200, "png")
    out, _, note = images.fit_under(data, len(data) - 1, "png")
    assert images.inspect(out) == images.ImageInfo("webp", 200, 100)
    assert note is not None and "scaled from 400×200 to 200×100" in note


def test_a_result_claiming_more_pixels_than_allowed_is_not_decoded(no_decoding: None) -> None:
    bomb = with_header_size(make_image(64, 64, "png"), 5000, 5000)  # 25 MP
    with pytest.raises(images.ImageError, match="5000×5000 pixels is more than allowed"):
        images.fit_under(bomb + bytes(1000), 1000, "png")
    with pytest.raises(images.ImageError, match="5000×5000 pixels is more than allowed"):
        images.inspect(bomb)


def test_an_impossible_limit_is_an_error() -> None:
    with pytest.raises(images.ImageError):
        images.fit_under(noise(128, 128, "webp"), 50, "webp")


@pytest.mark.parametrize(("ratio", "megapixels"), [("1:1", 1), ("16:9", 1), ("2:3", 2),
                                                    ("4:5", 0.25)])
def test_ratio_size(ratio: str, megapixels: float) -> None:
    width, height = images.ratio_size(ratio, megapixels, 16)
    w, h = (int(x) for x in ratio.split(":"))
    assert width % 16 == 0 and height % 16 == 0
    assert width / height == pytest.approx(w / h, rel=0.03)
    assert width * height == pytest.approx(megapixels * 1024 * 1024, rel=0.05)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_inspect_refuses_an_image_cut_short_near_its_end(fmt: str) -> None:
    # inspect() does not decode PNG or WebP pixels: the structural checks must still see it.
    with pytest.raises(images.ImageError):
        images.inspect(noise(64, 64, fmt)[:-10])


def test_a_jpeg_result_is_judged_whole_without_decoding_its_pixels(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Decoding a 1 MB JPEG took 9 ms of CPU on every job whose provider answers in JPEG.
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the JPEG's pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    data = noise(320, 200, "jpeg")
    assert images.inspect(data) == images.ImageInfo("jpeg", 320, 200)
    # What some cameras append after the end marker does not make it less whole.
    assert images.inspect(data + b"appended by a camera") == images.ImageInfo("jpeg", 320, 200)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.99])
def test_a_jpeg_cut_anywhere_in_its_scan_is_refused(keep: float) -> None:
    data = noise(320, 200, "jpeg")
    with pytest.raises(images.ImageError, match="cut short"):
        images.inspect(data[:int(len(data) * keep)])


def test_a_jpeg_without_a_scan_is_refused_whatever_ends_it() -> None:
    # Its headers and an end marker, but no picture between them.
    data = make_image(64, 64, "jpeg")
    headers_only = data[:data.index(b"\xff\xda")] + b"\xff\xd9"
    with pytest.raises(images.ImageError, match="damaged jpeg"):
        images.inspect(headers_only)
    with pytest.raises(images.InputRefused, match="damaged or cut short"):
        images.check_input(headers_only, LIMIT)


def _segment(data: bytes, marker: bytes) -> tuple[int, int]:
    """Where the first segment of `marker` starts and ends in `data`."""
    start = data.index(marker)
    return start, start + 2 + int.from_bytes(data[start + 2:start + 4], "big")


def test_a_jpeg_of_two_frame_headers_is_refused() -> None:
    # A decoder refuses it; Pillow would report the second one's size.
    data = make_image(64, 48, "jpeg")
    start, end = _segment(data, b"\xff\xc0")
    sos = data.index(b"\xff\xda")
    frame = data[start:end]
    huge = frame[:5] + (9000).to_bytes(2, "big") * 2 + frame[9:]
    with pytest.raises(images.ImageError, match="two frame headers"):
        images.inspect(data[:sos] + huge + data[sos:])


def test_a_jpeg_no_decoder_takes_is_refused() -> None:
    data = make_image(64, 48, "jpeg")
    start, end = _segment(data, b"\xff\xdb")
    no_tables = data[:start] + data[end:]
    while b"\xff\xdb" in no_tables[:no_tables.index(b"\xff\xda")]:
        start, end = _segment(no_tables, b"\xff\xdb")
        no_tables = no_tables[:start] + no_tables[end:]
    with pytest.raises(images.ImageError, match="no quantization table"):
        images.inspect(no_tables)
    lossless = data.replace(b"\xff\xc0", b"\xff\xc3", 1)
    with pytest.raises(images.ImageError, match="lossless or hierarchical"):
        images.inspect(lossless)


def test_stray_bytes_before_a_jpeg_scan_are_skipped_as_decoders_skip_them() -> None:
    data = make_image(64, 48, "jpeg")
    sos = data.index(b"\xff\xda")
    stray = data[:sos] + b"\x00\x00" + data[sos:]
    assert images.inspect(stray) == images.ImageInfo("jpeg", 64, 48)
    assert images.check_input(stray, LIMIT) == images.ImageInfo("jpeg", 64, 48)


# --- input images: judged by their header, never decoded ---------------------------------

LIMIT = 16_000_000


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails the test if Pillow is asked to open anything."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow was asked to open the image")

    monkeypatch.setattr(Image, "open", refuse)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_check_input_takes_whole_images_by_their_bytes(fmt: str, no_decoding: None) -> None:
    data = make_image(320, 200, fmt)
    assert images.check_input(data, LIMIT) == images.ImageInfo(fmt, 320, 200)


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_check_input_refuses_a_huge_picture_from_its_header(fmt: str, no_decoding: None) -> None:
    # A few KB whose header claims 13000x13000: decoding it would take ~650 MB.
    bomb = with_header_size(make_image(64, 64, fmt), 13000, 13000)
    with pytest.raises(images.InputRefused) as refused:
        images.check_input(bomb, LIMIT)
    assert refused.value.user_message.startswith("`image` is 13000×13000 pixels")
    assert "16 million" in refused.value.user_message
    # Just under the limit is fine.
    assert images.check_input(with_header_size(make_image(64, 64, fmt), 4000, 4000), LIMIT)


@pytest.mark.parametrize("data", [rle_bmp(), b"GIF89a" + bytes(100), b"", b"<html>nope</html>"])
def test_check_input_knows_the_format_from_the_bytes_alone(data: bytes, no_decoding: None) -> None:
    with pytest.raises(images.InputRefused, match="must be a PNG, JPEG or WebP"):
        images.check_input(data, LIMIT)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_check_input_refuses_a_file_cut_short(fmt: str, no_decoding: None) -> None:
    with pytest.raises(images.InputRefused, match="damaged or cut short"):
        images.check_input(make_image(320, 200, fmt)[:-40], LIMIT)


def test_check_input_does_not_walk_a_jpeg_of_endless_tiny_segments(no_decoding: None) -> None:
    endless = b"\xff\xd8" + b"\xff\xfe\x00\x02" * 2_000_000  # 8 MB of empty comments
    with pytest.raises(images.InputRefused, match="damaged"):
        images.check_input(endless, LIMIT)


async def test_inspect_async_never_hands_other_formats_to_pillow(no_decoding: None) -> None:
    # An RLE BMP labelled image/png was once decoded on the event loop (0.5 s each).
    with pytest.raises(images.ImageError, match="not a PNG, JPEG or WebP"):
        await images.inspect_async(rle_bmp())


def test_results_claiming_too_many_pixels_are_not_decoded(no_decoding: None) -> None:
    bomb = with_header_size(make_image(64, 64, "png"), 20000, 20000)
    with pytest.raises(images.ImageError, match="more than allowed"):
        images.inspect(bomb)
    with pytest.raises(images.ImageError, match="more than allowed"):
        images.fit_under(bomb + bytes(100), 50, "png")


def test_inspecting_a_webp_result_does_not_copy_its_image_data() -> None:
    # A megabyte WebP is walked on every job: slicing its image chunk copied all of it.
    data = noise(800, 800, "webp")
    assert len(data) > 500_000
    tracemalloc.start()
    try:
        assert images.inspect(data) == images.ImageInfo("webp", 800, 800)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The functions sent to a thread (and run there) during the test."""
    sent: list[object] = []
    in_image_thread = images.in_image_thread

    async def counted(func: Any, /, *args: Any) -> Any:
        sent.append(func)
        return await in_image_thread(func, *args)

    monkeypatch.setattr(images, "in_image_thread", counted)
    return sent


async def test_a_webp_result_is_checked_on_the_loop_unless_it_has_many_chunks(
    hops: list[object],
) -> None:
    # A thread's hop cost more than walking the few chunks of an ordinary WebP.
    webp = make_image(320, 200, "webp")
    assert await images.inspect_async(webp) == images.ImageInfo("webp", 320, 200)
    assert hops == []
    # A result of endless tiny chunks is still walked, but not on the loop.
    body = webp[12:] + b"JUNK\x00\x00\x00\x00" * 1000
    many = b"RIFF" + (4 + len(body)).to_bytes(4, "little") + b"WEBP" + body
    assert await images.inspect_async(many) == images.ImageInfo("webp", 320, 200)
    assert len(hops) == 1


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
async def test_png_and_jpeg_results_are_judged_on_the_loop_without_pillow(
    fmt: str, no_decoding: None, hops: list[object],
) -> None:
    # Pillow's PNG check (every chunk's CRC) took 0.6 ms of CPU per megabyte, and a
    # thread's hop on top of it, on every job whose provider answers in PNG.
    data = noise(320, 200, fmt)
    assert await images.inspect_async(data) == images.ImageInfo(fmt, 320, 200)
    assert hops == []


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(name, start, end) of each chunk of a PNG."""
    found, offset = [], 8
    while offset < len(data):
        length = int.from_bytes(data[offset:offset + 4], "big")
        found.append((data[offset + 4:offset + 8], offset, offset + 12 + length))
        offset += 12 + length
    return found


def test_a_png_whose_chunks_do_not_follow_one_another_is_refused() -> None:
    data = noise(128, 128, "png")
    # Bytes lost from the middle of its picture: it still starts right and ends in IEND.
    middle = len(data) // 2
    with pytest.raises(images.ImageError, match="PNG"):
        images.inspect(data[:middle] + data[middle + 100:])
    # A chunk whose length runs past IEND.
    _, start, _ = _png_chunks(data)[1]
    longer = data[:start] + (len(data)).to_bytes(4, "big") + data[start + 4:]
    with pytest.raises(images.ImageError, match="cut short"):
        images.inspect(longer)


def test_a_png_without_image_data_is_refused() -> None:
    data = make_image(32, 32, "png")
    kept = b"".join(data[start:end] for name, start, end in _png_chunks(data) if name != b"IDAT")
    with pytest.raises(images.ImageError, match="no PNG image data"):
        images.inspect(data[:8] + kept)


async def test_a_png_result_of_endless_tiny_chunks_is_walked_in_a_thread(
    hops: list[object],
) -> None:
    data = make_image(32, 32, "png")
    chunks = _png_chunks(data)
    text = b"\x00\x00\x00\x00tEXt\x00\x00\x00\x00"  # an empty chunk (its CRC is not read)
    ihdr_end = chunks[0][2]
    many = data[:ihdr_end] + text * 5000 + data[ihdr_end:]
    assert await images.inspect_async(many) == images.ImageInfo("png", 32, 32)
    assert len(hops) == 1


def test_a_png_whole_by_its_structure_whose_picture_is_broken_cannot_be_fitted() -> None:
    # Its chunks and their CRCs are in order: judged whole on arrival (no pixel decoded);
    # only re-encoding it to fit an upload limit finds its picture unreadable.
    data = broken_picture(noise(256, 256, "png"))
    assert images.inspect(data) == images.ImageInfo("png", 256, 256)
    with pytest.raises(images.UndecodableImage, match="not a decodable image"):
        images.fit_under(data, len(data) // 2, "png")
