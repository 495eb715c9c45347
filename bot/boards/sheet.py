"""A board's contact sheet: one PNG with its images in a numbered grid.

Drawing decodes 36 thumbnails and compresses a few megapixels: hundreds of milliseconds
of CPU, so coroutines call `draw_sheet_async`, which does it all in a worker thread.
"""

from __future__ import annotations

import io
import logging
import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from bot.boards.thumbs import BACKGROUND, THUMB_SIDE, flatten
from bot.errors import UserError
from bot.workers import in_image_thread

log = logging.getLogger(__name__)

MAX_ITEMS = 36
MAX_COLUMNS = 6  # 36 images make a 6 x 6 square
MIN_TILE = 48  # below this a cell no longer shows what the image was
GAP = 8
_CAPTION_MIN_TILE = 112  # smaller cells drop their caption: it would be unreadable
_SHRINK_MAX = 0.9  # each retry shrinks the cells by at least this factor
_TEXT = (228, 228, 231)
_BADGE = (9, 9, 11)
_BADGE_EDGE = (250, 250, 250)
_MISSING = (63, 63, 70)
_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


class SheetTooLarge(UserError):
    """Even the smallest cells make a PNG larger than the byte limit."""

    def __init__(self, limit_bytes: int, smallest: int) -> None:
        super().__init__(f"The contact sheet does not fit under this channel's upload limit "
                         f"({limit_bytes / 2**20:.1f} MB) even with the smallest cells: "
                         "post it in a channel that takes larger files.")
        self.limit_bytes = limit_bytes
        self.smallest = smallest


@dataclass(frozen=True, slots=True)
class SheetItem:
    """One cell: the item's number on its board, its thumbnail, and a caption (the
    prompt; shortened to the cell's width when drawn)."""

    number: int
    thumbnail: bytes
    caption: str


@dataclass(frozen=True, slots=True)
class Layout:
    """The grid's geometry: `count` cells of `tile` px squares in `columns`, separated
    and framed by `gap` px, each with a `caption` px strip under it (0: no captions)."""

    count: int
    columns: int
    tile: int
    caption: int
    gap: int = GAP

    @property
    def rows(self) -> int:
        return math.ceil(self.count / self.columns)

    @property
    def size(self) -> tuple[int, int]:
        width = self.columns * self.tile + (self.columns + 1) * self.gap
        height = self.rows * (self.tile + self.caption) + (self.rows + 1) * self.gap
        return width, height

    def cell(self, index: int) -> tuple[int, int, int, int]:
        """The box (left, top, right, bottom) of the `index`th cell's image square,
        filled left to right, top to bottom."""
        row, column = divmod(index, self.columns)
        left = self.gap + column * (self.tile + self.gap)
        top = self.gap + row * (self.tile + self.caption + self.gap)
        return left, top, left + self.tile, top + self.tile


@dataclass(frozen=True, slots=True)
class ContactSheet:
    png: bytes
    layout: Layout


def layout_for(count: int, tile: int) -> Layout:
    """The most square grid for `count` cells of `tile` px, at most MAX_COLUMNS wide."""
    columns = min(MAX_COLUMNS, math.ceil(math.sqrt(count)))
    caption = tile // 16 + 8 if tile >= _CAPTION_MIN_TILE else 0
    return Layout(count=count, columns=columns, tile=tile, caption=caption)


async def draw_sheet_async(items: Sequence[SheetItem], limit_bytes: int) -> ContactSheet:
    """`draw_sheet` in a worker thread."""
    return await in_image_thread(draw_sheet, items, limit_bytes)


def draw_sheet(items: Sequence[SheetItem], limit_bytes: int) -> ContactSheet:
    """One PNG of `items` (1 to MAX_ITEMS, drawn in the order given: newest first) in a
    numbered grid, at most `limit_bytes` long (the channel's upload limit).

    PNG because the sheet is text as much as pictures: a lossless image keeps every
    number badge and caption sharp, and the thumbnails, lossy already, are not blurred
    by a second lossy pass. Noisy images barely compress, though, so when the PNG is over
    the limit the cells shrink, in proportion to how far over it is, and the grid is drawn
    again; when even MIN_TILE px cells do not fit, raises SheetTooLarge. A thumbnail that
    does not decode leaves its cell blank, numbered, rather than failing the sheet.
    Blocking: call it from a thread (see `draw_sheet_async`).
    """
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ValueError(f"a sheet has 1 to {MAX_ITEMS} items, not {len(items)}")
    pictures = [_decode(item) for item in items]
    tile = THUMB_SIDE
    while True:
        layout = layout_for(len(items), tile)
        png = _encode(_draw(items, pictures, layout))
        if len(png) <= limit_bytes:
            log.debug("sheet of %d at %d px: %d bytes", len(items), tile, len(png))
            return ContactSheet(png=png, layout=layout)
        if tile == MIN_TILE:
            raise SheetTooLarge(limit_bytes, len(png))
        # A PNG's size follows its pixel count, so the side goes with the square root.
        factor = min(_SHRINK_MAX, math.sqrt(limit_bytes / len(png)) * 0.95)
        log.debug("sheet at %d px is %d bytes, over %d: shrinking by %.2f",
                  tile, len(png), limit_bytes, factor)
        tile = max(MIN_TILE, int(tile * factor))


def _decode(item: SheetItem) -> Image.Image | None:
    try:
        with Image.open(io.BytesIO(item.thumbnail)) as opened:
            opened.load()
            return flatten(opened) if opened.mode != "RGB" else opened.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, struct.error, ValueError,
            Image.DecompressionBombError) as exc:
        log.warning("thumbnail of item %d does not decode (%s): its cell stays blank",
                    item.number, type(exc).__name__)
        return None


def _draw(items: Sequence[SheetItem], pictures: Sequence[Image.Image | None],
          layout: Layout) -> Image.Image:
    sheet = Image.new("RGB", layout.size, BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    badge_font = _font(max(10, layout.tile // 9))
    caption_font = _font(layout.caption - 8) if layout.caption else None
    for index, (item, picture) in enumerate(zip(items, pictures, strict=True)):
        left, top, right, bottom = layout.cell(index)
        if picture is None:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=_MISSING)
        else:
            fitted = _fit(picture, layout.tile)
            sheet.paste(fitted, (left + (layout.tile - fitted.width) // 2,
                                 top + (layout.tile - fitted.height) // 2))
        _badge(draw, badge_font, str(item.number), left, top, layout.tile)
        if caption_font is not None:
            text = _shorten(caption_font, item.caption, layout.tile)
            draw.text((left, bottom + 4), text, font=caption_font, fill=_TEXT)
    return sheet


def _fit(picture: Image.Image, tile: int) -> Image.Image:
    if picture.width <= tile and picture.height <= tile:
        return picture
    return ImageOps.contain(picture, (tile, tile), Image.Resampling.LANCZOS)


def _badge(draw: ImageDraw.ImageDraw, font: _Font, text: str, left: int, top: int,
           tile: int) -> None:
    """The cell's number, white on near-black with a white rim: readable on any image."""
    margin = max(3, tile // 40)
    pad = max(2, tile // 40)
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
    width = max(x1 - x0, y1 - y0) + 2 * pad  # never narrower than tall
    height = (y1 - y0) + 2 * pad
    box = (left + margin, top + margin, left + margin + width, top + margin + height)
    draw.rounded_rectangle(box, radius=height // 3, fill=_BADGE, outline=_BADGE_EDGE,
                           width=max(1, tile // 128))
    text_x = box[0] + (width - (x1 - x0)) // 2 - x0
    draw.text((text_x, box[1] + pad - y0), text, font=font, fill=_BADGE_EDGE)


def _shorten(font: _Font, text: str, width: int) -> str:
    """`text` on one line, cut with an ellipsis to fit `width` px."""
    text = re.sub(r"\s+", " ", text).strip()
    if font.getlength(text) <= width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle].rstrip() + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def _font(size: int) -> _Font:
    # Loaded per sheet, not cached: a FreeType face is not safe to share between the
    # worker threads that may draw two sheets at once.
    return ImageFont.load_default(size=size)


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()
