"""Small thumbnails of result images, kept with a board's items for its contact sheets.

A result is up to a few megapixels and a megabyte or more; a sheet needs 36 of them at
cell size. Keeping a 256 px WebP of each (a few tens of KB) means a sheet never fetches
or decodes a full image again, and the database row stays small.
"""

from __future__ import annotations

import io
import logging
import struct

from PIL import Image, ImageOps, UnidentifiedImageError

from bot._headers import header_info
from bot.images import ImageError, check_decodable
from bot.workers import in_image_thread

log = logging.getLogger(__name__)

THUMB_SIDE = 256  # on the long side: the largest cell a contact sheet draws
THUMB_MAX_BYTES = 48 * 1024
# WebP qualities tried in turn until the thumbnail is under THUMB_MAX_BYTES; noise is the
# worst case and still fits at the last one.
_QUALITIES = (80, 65, 50, 35)
# Transparent parts of a result are shown on the sheet's own background colour.
BACKGROUND = (24, 24, 27)


async def make_thumbnail_async(data: bytes, side: int = THUMB_SIDE) -> bytes:
    """`make_thumbnail` in a worker thread: decoding a result takes tens of milliseconds
    of CPU, which the event loop must not spend."""
    return await in_image_thread(make_thumbnail, data, side)


def make_thumbnail(data: bytes, side: int = THUMB_SIDE) -> bytes:
    """A WebP of `data` (a PNG, JPEG or WebP image) at most `side` px on its long side,
    at most THUMB_MAX_BYTES long; an image already smaller is not enlarged.

    Raises ImageError when the bytes are not a decodable image. Blocking: call it from a
    thread (see `make_thumbnail_async`).
    """
    _, width, height = header_info(data, complete=False)
    check_decodable(width, height)
    try:
        with Image.open(io.BytesIO(data)) as opened:
            # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale directly, far faster than
            # decoding it whole and then shrinking it.
            opened.draft("RGB", (side, side))
            opened.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=2.0)
            # Turned upright after shrinking, so the copy it makes is a small one.
            image = flatten(ImageOps.exif_transpose(opened))
    except (UnidentifiedImageError, OSError, SyntaxError, struct.error, ValueError,
            Image.DecompressionBombError) as exc:
        raise ImageError(f"not a decodable image ({type(exc).__name__})") from None
    for quality in _QUALITIES:
        out = io.BytesIO()
        image.save(out, "WEBP", quality=quality, method=4)
        if out.tell() <= THUMB_MAX_BYTES:
            break
    log.debug("thumbnail %dx%d at quality %d: %d bytes", image.width, image.height,
              quality, out.tell())
    return out.getvalue()


def flatten(image: Image.Image) -> Image.Image:
    """`image` as RGB, any transparency laid over BACKGROUND."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        ground = Image.new("RGB", rgba.size, BACKGROUND)
        ground.paste(rgba, mask=rgba.getchannel("A"))
        return ground
    return image.convert("RGB")
