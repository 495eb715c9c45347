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
    lower, the further left)."""

    name: str
    make: MakeItem
    row: int
    position: int
    shown: Shown = _always


class ResultRows:
    """The buttons under a bot's results, by row and position."""

    def __init__(self) -> None:
        self._buttons: dict[str, ResultButton] = {}

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

    def remove(self, name: str) -> None:
        """No longer puts button `name` under results (its cog was unloaded)."""
        self._buttons.pop(name, None)

    def view(self, job_id: str, lang: str) -> discord.ui.View:
        """The buttons of job `job_id`'s result, each in its row, in order, labelled in
        language `lang`."""
        view = discord.ui.View(timeout=None)
        for button in sorted(self._buttons.values(), key=lambda b: (b.row, b.position)):
            if not button.shown():
                continue
            item = button.make(job_id, lang)
            item.row = button.row
            view.add_item(item)
        return view


_ROWS: weakref.WeakKeyDictionary[discord.Client, ResultRows] = weakref.WeakKeyDictionary()


def result_rows(bot: discord.Client) -> ResultRows:
    """The rows of buttons under `bot`'s results."""
    rows = _ROWS.get(bot)
    if rows is None:
        rows = _ROWS[bot] = ResultRows()
    return rows
