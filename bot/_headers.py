"""The format and size of an image from its first bytes, without Pillow.

Cheap whatever the file holds: a fixed offset for PNG and WebP, and for JPEG a walk over
at most `_MAX_JPEG_SEGMENTS` segment headers, to its frame header for the size and on to
its first scan to judge it whole (a real file has a few dozen; a hostile one made of
millions of tiny segments is refused, not walked).
"""

from __future__ import annotations

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_JPEG_START = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"
_MAX_JPEG_SEGMENTS = 1000
# Start-of-frame markers: every SOFn but DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# The frames a decoder takes: sequential and progressive DCT, Huffman or arithmetic coded
# (not lossless, not hierarchical).
_SOF_DECODABLE = frozenset({0xC0, 0xC1, 0xC2, 0xC9, 0xCA})
_DQT = 0xDB
_SOS = 0xDA
_EOI = 0xD9


class ImageError(ValueError):
    """The bytes are not a decodable image (or not in a format the bot handles)."""


def header_info(data: bytes, *, complete: bool) -> tuple[str, int, int]:
    """(format, width, height) of a PNG, JPEG or WebP file, read from its header.

    Raises ImageError: "unsupported format" for anything else, whatever it is; "damaged"
    when the header is cut short or broken, or, with `complete`, when the file does not
    reach its own end (a PNG without IEND, a JPEG without its end marker, a WebP shorter
    than its RIFF header says).
    """
    if data.startswith(PNG_SIGNATURE):
        fmt, (width, height) = "png", _png_size(data, complete)
    elif data.startswith(_JPEG_START):
        fmt, (width, height) = "jpeg", _jpeg_size(data, complete)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        fmt, (width, height) = "webp", _webp_header_size(data, complete)
    else:
        raise ImageError("unsupported format: not a PNG, JPEG or WebP file")
    if width <= 0 or height <= 0:
        raise ImageError(f"damaged {fmt}: the header gives no size")
    return fmt, width, height


def _png_size(data: bytes, complete: bool) -> tuple[int, int]:
    if len(data) < 24 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        raise ImageError("damaged png: no IHDR header")
    if complete and data.rfind(_PNG_IEND, 33) == -1:
        raise ImageError("damaged png: cut short (no IEND)")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _jpeg_size(data: bytes, complete: bool) -> tuple[int, int]:
    """The frame header's size. With `complete`, the segments are walked on to the first
    scan, which needs one frame a decoder takes and a quantization table before it, and
    the end marker must follow the scan. Byte stuffing keeps the end marker out of a
    scan's data, so only the image's own end can be found there; cameras may append data
    after it, so it is looked for anywhere after the scan starts, not at the very end."""
    size: tuple[int, int] | None = None
    tables = False
    pos = 2
    for _ in range(_MAX_JPEG_SEGMENTS):
        if pos + 4 > len(data):
            raise ImageError("damaged jpeg: segment headers cut short")
        if data[pos] != 0xFF:
            if size is None:
                raise ImageError("damaged jpeg: segment headers cut short")
            # Stray bytes between segments, which decoders skip (with a warning).
            pos = data.find(b"\xff", pos)
            if pos == -1:
                raise ImageError("damaged jpeg: segment headers cut short")
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # a fill byte before the marker
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        if marker == _EOI:
            raise ImageError("damaged jpeg: it ends before its picture")
        if marker in _SOF:
            if size is not None:
                raise ImageError("damaged jpeg: two frame headers")
            if pos + 9 > len(data):
                raise ImageError("damaged jpeg: frame header cut short")
            height = int.from_bytes(data[pos + 5:pos + 7], "big")
            width = int.from_bytes(data[pos + 7:pos + 9], "big")
            if not complete:
                return width, height
            if marker not in _SOF_DECODABLE:
                raise ImageError("unsupported format: a lossless or hierarchical JPEG")
            size = (width, height)
        elif marker == _DQT:
            tables = True
        elif marker == _SOS:
            if size is None:
                raise ImageError("damaged jpeg: scan before the frame header")
            if not tables:
                raise ImageError("damaged jpeg: no quantization table")
            if data.rfind(_JPEG_END, pos + 2) == -1:
                raise ImageError("damaged jpeg: cut short (no end marker)")
            return size
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if length < 2:
            raise ImageError("damaged jpeg: bad segment length")
        pos += 2 + length
    if size is None:
        raise ImageError("damaged jpeg: no frame header among the first segments")
    raise ImageError("damaged jpeg: no scan among the first segments")


def _webp_header_size(data: bytes, complete: bool) -> tuple[int, int]:
    end = 8 + int.from_bytes(data[4:8], "little")
    if complete and end > len(data):
        raise ImageError("damaged webp: cut short")
    length = int.from_bytes(data[16:20], "little")
    size = webp_chunk_size(data[12:16], data[20:20 + min(length, 32)])
    if size is None:
        raise ImageError("damaged webp: no image header")
    return size


def webp_chunk_size(kind: bytes, body: bytes) -> tuple[int, int] | None:
    """The canvas size a VP8X, VP8 or VP8L chunk gives, or None for any other chunk."""
    if kind == b"VP8X" and len(body) >= 10:  # extended: the canvas size
        return (int.from_bytes(body[4:7], "little") + 1, int.from_bytes(body[7:10], "little") + 1)
    if kind == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":  # lossy
        return (int.from_bytes(body[6:8], "little") & 0x3FFF,
                int.from_bytes(body[8:10], "little") & 0x3FFF)
    if kind == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:  # lossless
        bits = int.from_bytes(body[1:5], "little")
        return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    return None
