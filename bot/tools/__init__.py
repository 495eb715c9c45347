"""The tools under a result: Vary (Subtle/Strong), Zoom Out (2x/1.5x), Pan (four
arrows) and Vary Region. Each is a job of its own catalogue model (its cost key and
route, `bot/catalogue/tools.py`), made from a posted result's image.

`TOOLS` is the one list of them: the button's key and label, the model it runs as, and
what it sets. `tool_options` turns a tool and its source image into the job's options
(the margins, the strength, the region), shrinking the source first where the canvas
would pass what the provider allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import tr
from bot.tools.geometry import Expansion, expand_for

__all__ = ["TOOLS", "Expansion", "Tool", "expand_for", "tool"]


@dataclass(frozen=True, slots=True)
class Tool:
    """One button under a result."""

    key: str  # in the button's custom_id
    label: str  # as SPEC section 2 names it (a `tr` text, shown in the result's language)
    model: str  # the catalogue model (and cost key) it runs as
    # Vary: FLUX.1 [dev]'s prompt_strength (1 keeps nothing of the input).
    strength: float | None = None
    # Zoom Out: the canvas as a factor of the image, per axis.
    factor: float | None = None
    # Pan: the side that grows by half the image.
    side: str | None = None
    row: int = 1

    @property
    def asks_prompt(self) -> bool:
        """Zoom Out and Pan take an optional prompt for the new area."""
        return self.model in ("zoom-out", "pan")


# Subtle keeps the composition and changes details; Strong keeps the subject and much
# less of the rest. Measured on the placeholder in tests/unit/test_tools.py.
SUBTLE, STRONG = 0.35, 0.75

TOOLS: tuple[Tool, ...] = (
    Tool("vary-subtle", tr("Vary (Subtle)"), "vary", strength=SUBTLE),
    Tool("vary-strong", tr("Vary (Strong)"), "vary", strength=STRONG),
    Tool("zoom-2", tr("Zoom Out 2x"), "zoom-out", factor=2.0),
    Tool("zoom-1.5", tr("Zoom Out 1.5x"), "zoom-out", factor=1.5),
    Tool("region", tr("Vary Region"), "vary-region"),
    Tool("pan-left", "⬅️", "pan", side="left", row=2),
    Tool("pan-right", "➡️", "pan", side="right", row=2),
    Tool("pan-up", "⬆️", "pan", side="top", row=2),
    Tool("pan-down", "⬇️", "pan", side="bottom", row=2),
)
_BY_KEY = {t.key: t for t in TOOLS}


def tool(key: str) -> Tool:
    """The tool of a button's key; KeyError for any other text."""
    return _BY_KEY[key]
