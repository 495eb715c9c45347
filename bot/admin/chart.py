"""`spend.png` of /credits report: credits spent per day over the period, stacked by
model, with the top spenders in a small table beside it.

Drawn with matplotlib's Agg backend in a worker thread (the event loop keeps serving),
matplotlib imported only when a report is drawn. The card has its own opaque background,
so it reads the same on Discord's dark and light themes.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bot import texts
from bot.workers import in_image_thread

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DAY = 86400
FILENAME = "spend.png"
# A card that reads on either Discord theme: near-white, with near-black text.
BACKGROUND = "#f6f7f9"
INK = "#1e1f22"
MUTED = "#5c5e66"
# Okabe and Ito's colour-blind safe palette, one colour per model in order of spend.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")
NAME_CHARS = 18


def day_of(epoch: float) -> int:
    """The UTC day number of `epoch` (days since 1970-01-01)."""
    return int(epoch // DAY)


async def spend_chart(by_day: Counter[tuple[int, str]], since: float, until: float,
                      top: Sequence[tuple[str, int]]) -> bytes:
    """The PNG of credits spent per day from `since` to `until` (`by_day`: net credits
    per (day number, model)), and `top`: (name, credits) of the top spenders."""
    return await in_image_thread(draw, by_day, day_of(since), day_of(until), top)


def draw(by_day: Mapping[tuple[int, str], int], first: int, last: int,
         top: Sequence[tuple[str, int]]) -> bytes:
    """The chart's PNG, drawn here and now (call it off the event loop)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    days = list(range(first, last + 1))
    totals: Counter[str] = Counter()
    for (_, model), credits in by_day.items():
        totals[model] += max(credits, 0)
    models = [m for m, n in totals.most_common() if n > 0]

    figure = Figure(figsize=(8.0, 4.0), dpi=100, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.07, 0.13, 0.63, 0.72), facecolor=BACKGROUND)
    bottom = [0] * len(days)
    for index, model in enumerate(models):
        # A refund on a later day than its charge would make a day negative: drawn as 0.
        heights = [max(by_day.get((day, model), 0), 0) for day in days]
        # One collection of bars per model: a patch per bar costs ten times as much.
        bars = [((x - 0.4, b), (x - 0.4, b + h), (x + 0.4, b + h), (x + 0.4, b))
                for x, (b, h) in enumerate(zip(bottom, heights, strict=True)) if h]
        axes.add_collection(PolyCollection(
            bars, facecolors=PALETTE[index % len(PALETTE)], linewidths=0,
            label=texts.model_label(model)), autolim=False)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_ylim(0, max(bottom, default=0) * 1.08 or 1)
    _style(axes, days, INK, MUTED)
    total = sum(totals.values())
    figure.text(0.07, 0.91, f"Credits spent per day: {texts.credits(total)} in all",
                color=INK, fontsize=13, fontweight="bold", parse_math=False)
    if models:
        figure.legend(loc="upper left", bbox_to_anchor=(0.72, 0.86), frameon=False,
                      labelcolor=INK, fontsize=9, title="Model", title_fontsize=9)
    else:
        axes.text(0.5, 0.5, "Nothing spent in this period", transform=axes.transAxes,
                  ha="center", va="center", color=MUTED, fontsize=11)
    _table(figure, top, 0.74, 0.86 - 0.06 * (len(models) + 1) - 0.06)
    out = io.BytesIO()
    with warnings.catch_warnings():
        # A name's emoji the bundled font lacks is drawn as a box, not an error.
        warnings.simplefilter("ignore", UserWarning)
        figure.savefig(out, format="png", facecolor=BACKGROUND)
    return out.getvalue()


def _style(axes: Axes, days: list[int], ink: str, muted: str) -> None:
    """Date ticks (about eight), light grid, no frame but the baseline."""
    step = max(1, round(len(days) / 8))
    ticks = list(range(0, len(days), step))
    axes.set_xticks(ticks, [_label(days[i]) for i in ticks], fontsize=8, color=muted)
    axes.tick_params(axis="y", labelsize=8, colors=muted)
    axes.tick_params(axis="x", colors=muted)
    axes.set_xlim(-0.6, len(days) - 0.4)
    axes.grid(axis="y", color="#d5d7dc", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(muted)
    axes.set_ylabel("credits", color=ink, fontsize=9)


def _label(day: int) -> str:
    return dt.datetime.fromtimestamp(day * DAY, tz=dt.UTC).strftime("%b %d")


def _table(figure: Figure, top: Sequence[tuple[str, int]], x: float, y: float) -> None:
    """The top spenders, one line each; names are drawn as plain text, never as maths."""
    if not top:
        return
    figure.text(x, y, "Top spenders", color=INK, fontsize=9, fontweight="bold")
    for n, (name, credits) in enumerate(top, start=1):
        shown = name if len(name) <= NAME_CHARS else name[:NAME_CHARS - 1] + "…"
        figure.text(x, y - 0.055 * n, f"{n}. {shown}", color=INK, fontsize=9,
                    parse_math=False)
        figure.text(0.985, y - 0.055 * n, str(credits), color=MUTED, fontsize=9,
                    ha="right", parse_math=False)
