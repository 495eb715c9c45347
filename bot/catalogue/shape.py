"""An aspect ratio is a shape: the size a provider that takes only width and height
makes for it (SPEC section 1).

BFL's endpoints have no aspect_ratio; a member's `16:9` becomes the size of that ratio,
on the schema's multiples and inside its bounds, nearest to about one megapixel (or the
megapixels asked for), so such a provider still serves the request in its place in the
route.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bot.catalogue.data import RATIOS
from bot.catalogue.schema import Param, ProviderSchema, snap

# The size a shape is made at unless `megapixels` says otherwise: FLUX's native area.
TARGET_PIXELS = 1024 * 1024
# A size whose ratio is this close to the one asked for counts as that ratio (the
# multiples rarely allow it exactly at about one megapixel: 16:9 on 32s is 1344x768).
RATIO_TOLERANCE = 0.03


def shapes(schema: ProviderSchema) -> bool:
    """True when `schema` takes width and height but no aspect ratio of its own."""
    params = schema.params
    return "width" in params and "height" in params and "aspect_ratio" not in params


def can_shape(schema: ProviderSchema, ratio: str) -> bool:
    """True when `schema` can serve `ratio` as a size: one of the product's ratios, or
    `custom` where the member may set the size themselves."""
    if not shapes(schema):
        return False
    return ratio in RATIOS or (ratio == "custom" and schema.takes("width"))


def size_for(ratio: str, width: Param, height: Param, pixels: float = TARGET_PIXELS
             ) -> tuple[int, int]:
    """The size of `ratio` ("16:9") that `width` and `height` allow, nearest to `pixels`:
    of the sizes within RATIO_TOLERANCE of the ratio, the one closest in area; when none
    is, the one closest in ratio."""
    across, down = (int(part) for part in ratio.split(":"))
    wanted = across / down
    step = width.multiple or 1
    low = int(width.min or step)
    high = int(width.max or 4096)
    best: tuple[float, float, int, int] | None = None
    for w in range(math.ceil(low / step) * step, high + 1, step):
        h = snap(round(w / wanted), height.multiple or 1, height.min, height.max)
        off = abs(math.log((w / h) / wanted))
        fits = off <= RATIO_TOLERANCE
        key = (0.0 if fits else off, abs(math.log(w * h / pixels)), w, h)
        if best is None or key[:2] < best[:2]:
            best = key
    assert best is not None
    return best[2], best[3]


def shaped(schema: ProviderSchema, options: Mapping[str, Any]
           ) -> tuple[dict[str, Any], dict[str, int]]:
    """`options` without an aspect ratio `schema` takes only as a size, and the width and
    height (catalogue names) that shape is; the options unchanged and no size otherwise.
    `custom` leaves the member's own width and height (or the provider's defaults)."""
    ratio = options.get("aspect_ratio")
    if ratio is None or not shapes(schema):
        return dict(options), {}
    rest = {k: v for k, v in options.items() if k != "aspect_ratio"}
    if ratio == "custom":
        return rest, {}
    pixels = float(options.get("megapixels") or 1) * TARGET_PIXELS
    width, height = size_for(str(ratio), schema.params["width"], schema.params["height"],
                             pixels)
    return rest, {"width": width, "height": height}
