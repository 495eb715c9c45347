"""spend.png: a real PNG of the period's days, stacked by model, whatever the members'
names hold (TeX-like dollars, emoji, length), and a card even when nothing was spent."""

from __future__ import annotations

import io
from collections import Counter

from PIL import Image

from bot.admin.chart import DAY, PALETTE, draw, spend_chart

FIRST = 20_400  # a UTC day number


def colours(png: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (800, 400)
    return {rgb for _, rgb in image.convert("RGB").getcolors(maxcolors=1 << 16) or []}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))


async def test_bars_of_each_model_and_hostile_names_are_drawn() -> None:
    by_day: Counter[tuple[int, str]] = Counter()
    for day in range(FIRST, FIRST + 90):
        by_day[(day, "flux-dev")] += 30
        by_day[(day, "flux-pro")] += 10
    by_day[(FIRST + 3, "flux-2-pro")] = -6  # refunded a day after its charge: no bar
    top = [("$\\frac{1}{0}$ $x^$", 900), ("🎨" * 40, 500), ("=HYPERLINK(\"x\")", 3)]
    png = await spend_chart(by_day, FIRST * DAY, (FIRST + 89) * DAY + 5, top)
    seen = colours(png)
    assert {rgb(PALETTE[0]), rgb(PALETTE[1])} <= seen  # flux-dev, then flux-pro
    assert rgb(PALETTE[2]) not in seen


def test_a_period_without_spending_still_makes_a_card() -> None:
    seen = colours(draw(Counter(), FIRST, FIRST + 6, []))
    assert not {rgb(c) for c in PALETTE} & seen
    assert len(seen) > 10  # the title, the axes and the note are there
