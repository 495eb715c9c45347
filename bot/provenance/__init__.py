"""Where a result came from: the line every result's embed shows, and whether a file
carries C2PA content credentials (BFL signs every image it makes), so the embed can say
when re-encoding it to fit the upload limit lost them.

The check walks the file's container (PNG chunks, JPEG segments, RIFF chunks) without
decoding it: cheap enough for every result.
"""

from __future__ import annotations

CREDENTIALS_LOST = "Its C2PA content credentials were lost in re-encoding."
_PNG = b"\x89PNG\r\n\x1a\n"


def made_by(model_label: str, provider_label: str) -> str:
    """What every result's embed says about the image's origin."""
    return f"AI-generated image: {model_label} via {provider_label}"


def has_credentials(data: bytes) -> bool:
    """True when the PNG, JPEG or WebP file carries a C2PA manifest store."""
    if data.startswith(_PNG):
        return _png_has(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_has(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_has(data)
    return False


def _png_has(data: bytes) -> bool:
    # The manifest store is a `caBX` chunk.
    pos = len(_PNG)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"caBX":
            return True
        if kind == b"IEND":
            return False
        pos += 12 + length
    return False


def _jpeg_has(data: bytes) -> bool:
    # The manifest store is in APP11 segments (JUMBF boxes labelled c2pa), before the scan.
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:  # start of scan, end of image
            return False
        if 0xD0 <= marker <= 0xD8 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xEB and b"c2pa" in data[pos + 4:pos + 2 + length]:
            return True
        pos += 2 + length
    return False


def _webp_has(data: bytes) -> bool:
    # The manifest store is a `C2PA` RIFF chunk.
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos:pos + 4]
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        if kind == b"C2PA":
            return True
        pos += 8 + size + (size & 1)
    return False


def fitted_note(original: bytes, note: str | None) -> str | None:
    """The note of fitting a result under the upload limit (None: posted as it came),
    saying so when the re-encoding lost the provider's content credentials."""
    if note is None or not has_credentials(original):
        return note
    return f"{note} {CREDENTIALS_LOST}"
