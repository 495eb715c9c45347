"""Real image bytes for the provider stand-ins: small, quick gradients of an exact size
and format. Independent of bot/images.py, so the code under test checks real files."""

from __future__ import annotations

import io
import math
import random
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
