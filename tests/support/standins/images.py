"""Real image bytes for the provider stand-ins: small, quick gradients of an exact size
and format. Independent of bot/images.py, so the code under test checks real files."""

from __future__ import annotations

import io
import math
import random
import zlib
from functools import lru_cache

from PIL import Image, ImageOps

_PIL_FORMAT = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP"}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                 "webp": "image/webp"}
EXTENSIONS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp"}


@lru_cache(maxsize=128)
def make_image(width: int, height: int, fmt: str, tint: int = 0) -> bytes:
    """A `width` by `height` gradient encoded as `fmt` (png, jpg/jpeg or webp)."""
    hue = tint % 6
    low = (40 + 30 * hue, 60, 120)
    gradient = Image.linear_gradient("L").resize((width, height), Image.Resampling.NEAREST)
    image = ImageOps.colorize(gradient, low, (240, 200, 90))
    out = io.BytesIO()
    kwargs = {} if fmt == "png" else {"quality": 60}
    image.save(out, _PIL_FORMAT[fmt], **kwargs)
    return out.getvalue()


def make_noise_image(width: int, height: int, fmt: str, seed: int = 0) -> bytes:
    """Random pixels, which barely compress: about 3 bytes a pixel as PNG."""
    noise = random.Random(seed).randbytes(width * height * 3)
    image = Image.frombytes("RGB", (width, height), noise)
    out = io.BytesIO()
    kwargs = {} if fmt == "png" else {"quality": 95}
    image.save(out, _PIL_FORMAT[fmt], **kwargs)
    return out.getvalue()


def ratio_dimensions(ratio: str, megapixels: float = 1.0, multiple: int = 32) -> tuple[int, int]:
    """What FLUX makes for a "W:H" ratio at about `megapixels` MP, on `multiple`."""
    w, h = (int(part) for part in ratio.split(":"))
    width = math.sqrt(megapixels * 1024 * 1024 * w / h)
    height = width * h / w
    return (max(multiple, round(width / multiple) * multiple),
            max(multiple, round(height / multiple) * multiple))


def not_an_image(length: int = 64) -> bytes:
    """Bytes that start like a PNG and then stop: a truncated download."""
    return make_image(64, 64, "png")[: max(16, min(length, 40))]


@lru_cache(maxsize=16)
def sized_noise_image(size_bytes: int, fmt: str) -> bytes:
    """Square random pixels encoded as `fmt`, about `size_bytes` long (within a few %).

    For the benchmark's zero-latency providers: cached, so serving it costs nothing."""
    sample = make_noise_image(128, 128, fmt, seed=1)
    per_pixel = len(sample) / (128 * 128)
    side = max(16, round(math.sqrt(size_bytes / per_pixel)))
    data = make_noise_image(side, side, fmt, seed=1)
    # One correction: headers and block sizes make the sample's rate a little off.
    side = max(16, round(side * math.sqrt(size_bytes / len(data))))
    return make_noise_image(side, side, fmt, seed=1)


def with_header_size(data: bytes, width: int, height: int) -> bytes:
    """`data` (a PNG or baseline JPEG from `make_image`) with its header claiming another
    size: the few bytes a decompression bomb needs, without its gigabytes of pixels."""
    if data.startswith(b"\x89PNG"):
        ihdr = data[12:16] + width.to_bytes(4, "big") + height.to_bytes(4, "big") + data[24:29]
        return data[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + data[33:]
    sof = data.index(b"\xff\xc0")
    return (data[:sof + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big")
            + data[sof + 9:])


def broken_picture(png: bytes) -> bytes:
    """A PNG whose chunks are all in order, CRCs included, but whose picture data is
    random bytes: whole by its structure, yet no decoder can read its pixels."""
    out, offset = [png[:8]], 8
    rng = random.Random(len(png))
    while offset < len(png):
        length = int.from_bytes(png[offset:offset + 4], "big")
        kind = png[offset + 4:offset + 8]
        body = png[offset + 8:offset + 8 + length]
        if kind == b"IDAT":
            body = bytes(rng.getrandbits(8) for _ in range(length))
        crc = zlib.crc32(kind + body).to_bytes(4, "big")
        out.append(png[offset:offset + 4] + kind + body + crc)
        offset += 12 + length
    return b"".join(out)


def rle_bmp(width: int = 4000, height: int = 4000) -> bytes:
    """An RLE8-compressed BMP: about 140 KB on disk, 16 MB of pixels and a slow decode.
    Pillow cannot write RLE, so it is built by hand."""
    row = b"".join(bytes((min(255, width - x), x // 255 % 256)) for x in range(0, width, 255))
    pixels = (row + b"\x00\x00") * height + b"\x00\x01"  # end of line; end of bitmap
    palette = b"".join(bytes((i, i, i, 0)) for i in range(256))
    offset = 14 + 40 + len(palette)
    info = (
        (40).to_bytes(4, "little") + width.to_bytes(4, "little") + height.to_bytes(4, "little")
        + (1).to_bytes(2, "little") + (8).to_bytes(2, "little") + (1).to_bytes(4, "little")
        + len(pixels).to_bytes(4, "little") + bytes(8) + (256).to_bytes(4, "little") + bytes(4)
    )
    size = offset + len(pixels)
    header = b"BM" + size.to_bytes(4, "little") + bytes(4) + offset.to_bytes(4, "little")
    return header + info + palette + pixels
