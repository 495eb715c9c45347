"""Results judged whole by their structure, re-encoded with Pillow when they must shrink;
the header check of input images.

Re-encoding is CPU-bound (a 2 MP image takes tens of milliseconds): coroutines call
`fit_under_async`, which runs it in a thread. Judging a result whole reads only the
headers of its chunks or segments, on the event loop (`inspect_async`). Nothing here hands
bytes to Pillow before their first bytes say PNG, JPEG or WebP, and nothing decodes an
image whose header claims more pixels than allowed: a few KB can describe a picture that
takes gigabytes to decode.

`check_input` judges a member's image prompt by its header alone (bot/_headers.py): it
never decodes pixels, so it runs on the loop in microseconds whatever the file holds.
"""

from __future__ import annotations

import io
import logging
import math
import struct
from dataclasses import dataclass

from PIL import Image

from bot._headers import PNG_SIGNATURE, ImageError, header_info, webp_chunk_size
from bot.i18n import Text, tr
from bot.workers import in_image_thread

log = logging.getLogger(__name__)

# What Discord shows inline and what the FLUX providers return, by their names.
_ALIASES = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp"}
_EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}

# Lossy qualities tried in turn before the image is scaled down.
_QUALITIES = (85, 70, 55, 40)
_SCALE_STEP = 0.8
_MIN_SIDE = 64


# Results larger than this are not decoded: the FLUX models make at most about 4 MP, and
# an expanded image keeps each side within 2048 px or so; 4096 by 4096 leaves room for
# both. (Re-encoding a result took up to about 35 bytes and 3 µs of CPU a pixel.)
MAX_DECODE_PIXELS = 4096 * 4096
# A result re-encoded to fit an upload limit is first scaled to at most this many pixels,
# the size of the largest FLUX image, before its quality is lowered.
FIT_PIXELS = 2048 * 2048
# A still WebP has a handful of chunks (VP8X, ICCP, ALPH, VP8, EXIF, XMP), a PNG a few
# dozen (its picture cut in pieces of 8 to 64 KB): up to this many are walked on the event
# loop (about 0.1 ms); a result of more, however tiny, is walked in a thread.
_CHUNKS_ON_LOOP = 512
_PNG_CHUNK = struct.Struct(">I4s")
_PNG_MAX_CHUNK = 2**31 - 1  # the PNG specification's limit on a chunk's length


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str  # "png", "jpeg" or "webp"
    width: int
    height: int


class UndecodableImage(ImageError):
    """An image whole by its structure whose picture data cannot be decoded."""


class InputRefused(ImageError):
    """A member's input image the bot will not use; `user_message` says why and what to do."""

    def __init__(self, user_message: Text) -> None:
        super().__init__(str(user_message))
        self.user_message = user_message


def check_input(data: bytes, max_pixels: int, name: str = "image") -> ImageInfo:
    """Judges a member's input image by its header, without decoding a pixel.

    The format is what the bytes are (PNG, JPEG or WebP), whatever the file's name or
    content type claims; the picture has at most `max_pixels` pixels; the file is whole
    (a PNG ends with IEND, a JPEG has its end marker, a WebP holds the length its header
    gives). Raises InputRefused with a message for the member, which names the image as
    `name` (the option, or the file the member gave).
    """
    try:
        fmt, width, height = header_info(data, complete=True)
    except ImageError as exc:
        if "format" in str(exc):
            raise InputRefused(tr("`{name}` must be a PNG, JPEG or WebP picture.",
                                  name=name)) from None
        raise InputRefused(tr(
            "`{name}` could not be read as a picture (the file is damaged or cut short). "
            "Try another file.", name=name
        )) from None
    if width * height > max_pixels:
        millions = f"{max_pixels / 1e6:g}"
        raise InputRefused(tr(
            "`{name}` is {width}×{height} pixels; at most {millions} million pixels "
            "are accepted. Scale it down and try again.",
            name=name, width=width, height=height, millions=millions
        ))
    return ImageInfo(fmt, width, height)


def normalise_format(fmt: str) -> str:
    """`jpg`/`JPEG`/`jpeg` -> `jpeg`; `png`; `webp`. Raises ImageError for anything else."""
    try:
        return _ALIASES[fmt.strip().lower()]
    except KeyError:
        raise ImageError(f"unsupported image format {fmt!r}") from None


def file_extension(fmt: str) -> str:
    """The file name extension for a format: `jpg`, `png` or `webp`."""
    return _EXTENSIONS[normalise_format(fmt)]


async def inspect_async(data: bytes) -> ImageInfo:
    """`inspect`, here on the event loop: it walks the chunk or segment headers only, a
    few microseconds for an ordinary result; one of very many chunks, however small, is
    walked in a thread."""
    try:
        return inspect(data, max_chunks=_CHUNKS_ON_LOOP)
    except _ManyChunks:
        return await in_image_thread(inspect, data)


async def fit_under_async(data: bytes, limit_bytes: int, fmt: str) -> tuple[bytes, str, str | None]:
    """`fit_under`, in a worker thread only when there is something to re-encode."""
    if len(data) <= limit_bytes:
        return data, normalise_format(fmt), None
    return await in_image_thread(fit_under, data, limit_bytes, fmt)


def inspect(data: bytes, max_chunks: int | None = None) -> ImageInfo:
    """Tells the format and size of `data`; raises ImageError when the bytes are not a
    complete PNG, JPEG or WebP image.

    Complete, as a decoder reads the file's structure, without decoding a pixel (a 1 MP
    WebP takes about 60 ms of CPU to decode, a 1 MB JPEG 9 ms, more than all the rest of a
    job) and without Pillow: a PNG's chunks are walked from IHDR to IEND, a WebP's to the
    end its RIFF header declares, and a JPEG's segments to its first scan, whose end
    marker must follow (`bot._headers`). A PNG's CRCs are not computed: that took 0.4 ms
    per megabyte, and the bytes come over TLS, which already refuses any that changed on
    the way. Raises _ManyChunks past `max_chunks` chunks.
    """
    fmt, width, height = header_info(data, complete=True)
    check_decodable(width, height)
    if fmt == "webp":
        return ImageInfo("webp", *_webp_size(data, max_chunks))
    if fmt == "png":
        _walk_png(data, max_chunks)
    return ImageInfo(fmt, width, height)


def check_decodable(width: int, height: int) -> None:
    """Raises ImageError when a picture of `width` by `height`, as its header says, is more
    than MAX_DECODE_PIXELS: it is not handed to Pillow."""
    if width * height > MAX_DECODE_PIXELS:
        raise ImageError(f"not decoded: {width}×{height} pixels is more than allowed")


class _ManyChunks(Exception):
    """A PNG or WebP of more chunks than walked on the event loop."""


def _walk_png(data: bytes, max_chunks: int | None = None) -> None:
    """Checks that a PNG's chunks follow one another from its signature to IEND inside the
    file, each with a name of four letters, and that it holds image data. Raises
    _ManyChunks past `max_chunks` chunks."""
    offset = len(PNG_SIGNATURE)
    chunks = 0
    pictured = False
    while True:
        if offset + 12 > len(data):
            raise ImageError("not a decodable image (PNG cut short)")
        length, kind = _PNG_CHUNK.unpack_from(data, offset)
        chunks += 1
        if max_chunks is not None and chunks > max_chunks:
            raise _ManyChunks
        if not kind.isalpha() or length > _PNG_MAX_CHUNK:
            raise ImageError("not a decodable image (damaged PNG chunk)")
        offset += 12 + length  # length, name, data, CRC
        if kind == b"IDAT":
            pictured = True
        elif kind == b"IEND":
            break
    if offset > len(data):
        raise ImageError("not a decodable image (PNG cut short)")
    if not pictured:
        raise ImageError("not a decodable image (no PNG image data)")


def _webp_size(data: bytes, max_chunks: int | None = None) -> tuple[int, int]:
    """A WebP's width and height from its first image header, after checking that every
    chunk fits in the length the RIFF header gives, and that the file holds all of it.
    Raises _ManyChunks past `max_chunks` chunks."""
    end = 8 + int.from_bytes(data[4:8], "little")
    if end > len(data):
        raise ImageError("not a decodable image (WebP file cut short)")
    size: tuple[int, int] | None = None
    offset = 12
    chunks = 0
    while offset + 8 <= end:
        chunks += 1
        if max_chunks is not None and chunks > max_chunks:
            raise _ManyChunks
        kind, length = data[offset:offset + 4], int.from_bytes(data[offset + 4:offset + 8],
                                                               "little")
        if offset + 8 + length > end:  # `end` is within `data`, checked above
            raise ImageError("not a decodable image (WebP chunk cut short)")
        if size is None:
            # Only the chunk's first bytes hold the size: slicing the whole chunk would
            # copy the megabyte of image data it carries.
            size = webp_chunk_size(kind, data[offset + 8:offset + 8 + min(length, 10)])
        offset += 8 + length + (length & 1)  # chunks are padded to an even length
    if size is None or offset < end:
        raise ImageError("not a decodable image (no WebP image header)")
    return size


def ratio_size(aspect_ratio: str, megapixels: float = 1.0, multiple: int = 16) -> tuple[int, int]:
    """Width and height for a "W:H" ratio at about `megapixels` MP, on `multiple`."""
    w_part, _, h_part = aspect_ratio.partition(":")
    ratio = float(w_part) / float(h_part)
    area = megapixels * 1024 * 1024
    width = math.sqrt(area * ratio)
    height = width / ratio
    return (
        max(multiple, round(width / multiple) * multiple),
        max(multiple, round(height / multiple) * multiple),
    )


def encode(image: Image.Image, fmt: str, quality: int = 90) -> bytes:
    """`image` encoded as `fmt` (png, jpeg or webp)."""
    fmt = normalise_format(fmt)
    buffer = io.BytesIO()
    if fmt == "png":
        image.save(buffer, "PNG", optimize=True)
    elif fmt == "jpeg":
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        rgb.save(buffer, "JPEG", quality=quality, optimize=True)
    else:
        image.save(buffer, "WEBP", quality=quality, method=4)
    return buffer.getvalue()


def fit_under(data: bytes, limit_bytes: int, fmt: str) -> tuple[bytes, str, str | None]:
    """Re-encodes an image until it is at most `limit_bytes` long.

    Returns the bytes, their format and a note for the user (None when nothing was
    done). Lossy formats lose quality first, then size; a PNG (lossless) first becomes a
    WebP at falling quality, then shrinks. Raises ImageError when even a tiny image does
    not fit, UndecodableImage when its picture cannot be decoded.
    """
    fmt = normalise_format(fmt)
    if len(data) <= limit_bytes:
        return data, fmt, None
    limit_text = _size_text(limit_bytes)
    _, width, height = header_info(data, complete=False)
    check_decodable(width, height)
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGBA" if opened.mode in ("RGBA", "LA", "P") else "RGB")
    except (OSError, SyntaxError, ValueError, struct.error, Image.DecompressionBombError
            ) as exc:
        # Whole by its structure (`inspect`), but its picture data is broken.
        raise UndecodableImage(f"not a decodable image ({type(exc).__name__})") from None
    target = "webp" if fmt == "png" else fmt
    original = image.size
    if image.width * image.height > FIT_PIXELS:
        scale = math.sqrt(FIT_PIXELS / (image.width * image.height))
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))),
                             Image.Resampling.LANCZOS)
    for quality in _QUALITIES:
        out = encode(image, target, quality)
        if len(out) <= limit_bytes:
            return out, target, _note(fmt, target, quality, original, image.size, limit_text)
    while min(image.size) * _SCALE_STEP >= _MIN_SIDE:
        size = (int(image.width * _SCALE_STEP), int(image.height * _SCALE_STEP))
        image = image.resize(size, Image.Resampling.LANCZOS)
        out = encode(image, target, _QUALITIES[1])
        if len(out) <= limit_bytes:
            return out, target, _note(fmt, target, _QUALITIES[1], original, size, limit_text)
    raise ImageError(f"cannot fit the image under {limit_text}")


def _note(
    fmt: str,
    target: str,
    quality: int,
    original: tuple[int, int],
    size: tuple[int, int],
    limit_text: str,
) -> str:
    parts = []
    if target != fmt:
        parts.append(f"converted from {file_extension(fmt).upper()} to {target.upper()}")
    parts.append(f"quality {quality}")
    if size != original:
        parts.append(f"scaled from {original[0]}×{original[1]} to {size[0]}×{size[1]}")
    text = f"Re-encoded to fit this channel's {limit_text} upload limit: " + ", ".join(parts) + "."
    log.debug("fit_under: %s", text)
    return text


def _size_text(limit_bytes: int) -> str:
    mib = limit_bytes / (1024 * 1024)
    if mib >= 1:
        return f"{mib:g} MB" if mib.is_integer() else f"{mib:.1f} MB"
    return f"{limit_bytes // 1024} KB"
