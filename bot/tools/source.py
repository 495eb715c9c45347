"""A tool's input: the posted image, judged by its header, shrunk where the canvas would
pass what the provider allows, and the job's options for the tool."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from bot import images
from bot.catalogue import RATIOS
from bot.errors import UserError
from bot.i18n import Text, tr
from bot.tools import Tool
from bot.tools.geometry import expand_for
from bot.tools.mask import parse_cells
from bot.workers import in_image_thread


@dataclass(frozen=True, slots=True)
class ToolInput:
    """The bytes to send, the job's options, and what the member should be told."""

    data: bytes = field(repr=False)
    options: dict[str, Any]
    note: Text | None = None


async def tool_input(tool: Tool, data: bytes, max_pixels: int, cells: str = ""
                     ) -> ToolInput:
    """The input and options of `tool` on the posted image `data`. Raises UserError, with
    what to do, for an image the bot will not read or cells that do not parse."""
    try:
        info = images.check_input(data, max_pixels)
    except images.InputRefused:
        raise UserError(tr("That image can no longer be read, so the tool cannot use it. "
                           "Nothing was charged.")) from None
    if tool.strength is not None:
        return ToolInput(data, {"prompt_strength": tool.strength,
                                "aspect_ratio": nearest_ratio(info.width, info.height)})
    if tool.model == "vary-region":
        return ToolInput(data, {"region": ",".join(map(str, parse_cells(cells)))})
    found = expand_for(info.width, info.height, factor=tool.factor, side=tool.side)
    note = None
    if found.shrunk:
        data = await in_image_thread(shrink, data, found.width, found.height)
        canvas = found.canvas
        note = tr("Your image ({width}×{height}) was first scaled down to "
                  "{new_width}×{new_height}, so that the new canvas "
                  "({canvas_width}×{canvas_height}) stays within the provider's sides.",
                  width=info.width, height=info.height, new_width=found.width,
                  new_height=found.height, canvas_width=canvas[0], canvas_height=canvas[1])
    return ToolInput(data, found.margins(), note)


def nearest_ratio(width: int, height: int) -> str:
    """The product's aspect ratio closest to the image's shape."""
    def distance(ratio: str) -> float:
        w, h = (int(n) for n in ratio.split(":"))
        return abs(math.log(width / height) - math.log(w / h))
    return min(RATIOS, key=distance)


def shrink(data: bytes, width: int, height: int) -> bytes:
    """`data` scaled to `width` x `height`, as PNG (sync: CPU-bound, a thread's work)."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (width, height))  # a JPEG decodes at a smaller scale at once
        return images.encode(image.convert("RGB").resize((width, height),
                                                         Image.Resampling.LANCZOS), "png")
