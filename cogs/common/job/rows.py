"""The rows of buttons under a result: the seam through which feature cogs put their
buttons there (Add to board, Edit image, ...) without the result knowing them.

Each cog adds its buttons at load time, each with the action row it stands in and its
position there; the result's view lays them out in that order, whichever cog loaded
first, so the buttons Discord shows stay where members know them. A bot has its own rows
(several bots may run in one process).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

# The job id each layout is made with: a valid one (DynamicItems check their custom_id
# against their template), replaced in each custom_id by the result's own.
_STAND_IN_JOB = "0" * 32

# Makes a button (most often a DynamicItem carrying the job id) for job `job_id`'s result,
# labelled in language `lang`.
MakeItem = Callable[[str, str], discord.ui.Item[Any]]
# Whether the button is shown now (a tool no configured provider serves is not).
Shown = Callable[[], bool]


def _always() -> bool:
    return True

# Discord's limits: five action rows of five buttons each.
ROWS = 5
PER_ROW = 5


@dataclass(frozen=True, slots=True)
class ResultButton:
    """A button a cog puts under every result: in action row `row`, at `position` (the
    lower, the further left). `make`'s button may depend on the job id only through its
    custom_id (the layout is made once, see the module's docstring)."""

    name: str
    make: MakeItem
    row: int
    position: int
    shown: Shown = _always


class ResultRows:
    """The buttons under a bot's results, by row and position."""

    def __init__(self) -> None:
        self._buttons: dict[str, ResultButton] = {}
        # By language and the names of the buttons shown, in order.
        self._layouts: dict[tuple[str, tuple[str, ...]], _Layout] = {}

    def add(self, name: str, make: MakeItem, *, row: int = 0, position: int,
            shown: Shown = _always) -> None:
        """Puts `make`'s button under every result from now on, while `shown()` (again
        under the same `name`: replaces it). Raises ValueError when the row has no room
        left."""
        if not 0 <= row < ROWS:
            raise ValueError(f"result row {row} is not one of Discord's {ROWS}")
        taken = [b for b in self._buttons.values() if b.row == row and b.name != name]
        if len(taken) >= PER_ROW:
            raise ValueError(f"result row {row} already holds {PER_ROW} buttons")
        self._buttons[name] = ResultButton(name, make, row, position, shown)
        self._layouts.clear()

    def remove(self, name: str) -> None:
        """No longer puts button `name` under results (its cog was unloaded)."""
        self._buttons.pop(name, None)
        self._layouts.clear()

    def view(self, job_id: str, lang: str) -> discord.ui.View:
        """The buttons of job `job_id`'s result, each in its row, in order, labelled in
        language `lang`."""
        shown = tuple(button for button in sorted(self._buttons.values(),
                                                  key=lambda b: (b.row, b.position))
                      if button.shown())
        key = (lang, tuple(button.name for button in shown))
        layout = self._layouts.get(key)
        if layout is None:
            layout = self._layouts[key] = _Layout(_made_view(shown, lang))
        return _LaidOutView(layout.components(job_id))


def _made_view(buttons: tuple[ResultButton, ...], lang: str) -> discord.ui.View:
    """The view of `buttons` made for the stand-in job id."""
    view = discord.ui.View(timeout=None)
    for button in buttons:
        item = button.make(_STAND_IN_JOB, lang)
        item.row = button.row
        view.add_item(item)
    return view


class _Layout:
    """A view's components with the job id left open in each custom_id."""

    def __init__(self, view: discord.ui.View) -> None:
        # Per action row, per component: its dict and its custom_id cut at the job id
        # (None where the custom_id does not carry it).
        self._rows = [
            [(component, _cut(component.get("custom_id"))) for component in row["components"]]
            for row in view.to_components()
        ]

    def components(self, job_id: str) -> list[dict[str, Any]]:
        """The components, their custom_ids carrying `job_id` (each component a dict of
        its own; what is nested in it, an emoji, is shared and never changed)."""
        rows = []
        for row in self._rows:
            made = []
            for component, cut in row:
                component = dict(component)  # the same keys, in the same order
                if cut is not None:
                    component["custom_id"] = job_id.join(cut)
                made.append(component)
            rows.append({"type": 1, "components": made})
        return rows


def _cut(custom_id: object) -> list[str] | None:
    if not isinstance(custom_id, str) or _STAND_IN_JOB not in custom_id:
        return None
    return custom_id.split(_STAND_IN_JOB)


class _LaidOutView(discord.ui.View):
    """A result's buttons as laid-out components. It holds no items: discord.py has
    nothing to register for it, since every result button is a DynamicItem its cog
    registered at load, which answers the click from the custom_id alone."""

    def __init__(self, components: list[dict[str, Any]]) -> None:
        super().__init__(timeout=None)
        self._components = components

    def to_components(self) -> list[dict[str, Any]]:
        """The components as Discord gets them."""
        return self._components


_ROWS: weakref.WeakKeyDictionary[discord.Client, ResultRows] = weakref.WeakKeyDictionary()


def result_rows(bot: discord.Client) -> ResultRows:
    """The rows of buttons under `bot`'s results."""
    rows = _ROWS.get(bot)
    if rows is None:
        rows = _ROWS[bot] = ResultRows()
    return rows
