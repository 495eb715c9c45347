"""Where Zoom Out and Pan put the image on the new canvas, within the provider's sides.

BFL's expand adds `top`/`bottom`/`left`/`right` pixels to the input and documents no
size cap but 2048 px per side (providers.md 4b), so the canvas is kept within
`EXPAND_MAX` on each axis: an input too large for the asked canvas is shrunk first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.catalogue.tools import EXPAND_MAX
from bot.errors import UserError
from bot.i18n import tr

SIDES = ("top", "bottom", "left", "right")


@dataclass(frozen=True, slots=True)
class Expansion:
    """The input's size as sent (after any shrinking) and the pixels added per side."""

    width: int
    height: int
    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0
    shrunk: bool = False

    @property
    def canvas(self) -> tuple[int, int]:
        return self.width + self.left + self.right, self.height + self.top + self.bottom

    def margins(self) -> dict[str, int]:
        """The expand request's four sides."""
        return {side: getattr(self, side) for side in SIDES}


def expand_for(width: int, height: int, *, factor: float | None = None,
               side: str | None = None, limit: int = EXPAND_MAX) -> Expansion:
    """Zoom Out (`factor`: equal margins left and right, top and bottom, so each axis of
    the canvas is `factor` times the image's) or Pan (`side`: that side grows by half the
    image's width or height). The input is shrunk, keeping its shape, when the canvas
    would pass `limit` px on an axis."""
    if width < 1 or height < 1:
        raise UserError(tr("That image has no size to work from."))
    if factor is not None:
        grow_x = grow_y = factor
    elif side in ("left", "right"):
        grow_x, grow_y = 1.5, 1.0
    elif side in ("top", "bottom"):
        grow_x, grow_y = 1.0, 1.5
    else:
        raise ValueError("a zoom factor or a side is needed")
    scale = min(1.0, limit / (width * grow_x), limit / (height * grow_y))
    w, h = width, height
    if scale < 1.0:
        w, h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    if factor is not None:
        dx, dy = math.floor(w * (factor - 1) / 2), math.floor(h * (factor - 1) / 2)
        found = Expansion(w, h, top=dy, bottom=dy, left=dx, right=dx, shrunk=scale < 1.0)
    else:
        grown = {"left": w // 2, "right": w // 2, "top": h // 2, "bottom": h // 2}
        assert side is not None
        found = Expansion(w, h, shrunk=scale < 1.0, **{side: grown[side]})
    if max(found.canvas) > limit or max(found.margins().values()) > limit:
        # Cannot happen with the shrinking above; a refusal rather than a provider's 422.
        raise UserError(tr("The new canvas would pass {limit} px on a side. Nothing was "
                           "charged.", limit=limit))
    return found
