"""Vary Region's mask: cells of a 3x3 grid of the image, white where the provider
repaints and black elsewhere, an RGB PNG of the image's own size (no alpha channel, as
ComfyUI sends BFL's fill; providers.md 4b)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from bot.errors import UserError
from bot.i18n import tr

GRID = 3
CELLS = GRID * GRID
# The cells by number, row by row from the top left, as the member picks them.
CELL_NAMES = (tr("top left"), tr("top"), tr("top right"), tr("left"), tr("centre"),
              tr("right"), tr("bottom left"), tr("bottom"), tr("bottom right"))


def parse_cells(text: str) -> tuple[int, ...]:
    """"1,5,9" as (1, 5, 9): distinct ASCII digits 1-9, comma-separated, in order.
    Anything else is a UserError (a client may send any value)."""
    parts = [p.strip() for p in str(text).split(",")]
    if not parts or any(len(p) != 1 or p not in "123456789" for p in parts):
        raise UserError(tr("Pick the parts to repaint from the list (cells 1-9)."))
    cells = sorted({int(p) for p in parts})
    if len(cells) == CELLS:
        raise UserError(tr("Vary Region repaints part of the image: leave at least one "
                           "part as it is (or use Vary (Strong))."))
    return tuple(cells)


def cell_box(cell: int, width: int, height: int) -> tuple[int, int, int, int]:
    """The pixel box (left, top, right, bottom; right and bottom exclusive) of a cell; the
    boxes of the nine cells tile the image exactly."""
    row, column = divmod(cell - 1, GRID)
    return (width * column // GRID, height * row // GRID,
            width * (column + 1) // GRID, height * (row + 1) // GRID)


def region_mask(width: int, height: int, cells: tuple[int, ...]) -> Image.Image:
    """The mask as an RGB image of `width` x `height`."""
    mask = Image.new("RGB", (width, height), "black")
    draw = ImageDraw.Draw(mask)
    for cell in cells:
        left, top, right, bottom = cell_box(cell, width, height)
        draw.rectangle((left, top, right - 1, bottom - 1), fill="white")
    return mask


def region_mask_png(width: int, height: int, cells: tuple[int, ...]) -> bytes:
    """`region_mask` as PNG bytes (sync: a thread's work for a large image)."""
    buffer = io.BytesIO()
    region_mask(width, height, cells).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
