"""The rows under a result: feature cogs add their buttons in any order, and the result
shows them in their declared rows and positions (the layout members know)."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from cogs.common.job.rows import PER_ROW, result_rows


def _button(action: str) -> Any:
    return lambda job_id, lang: discord.ui.Button(label=action,
                                               custom_id=f"fluxcord:{action}:{job_id}")


def _layout(view: discord.ui.View) -> list[list[str]]:
    return [[c["custom_id"] for c in row["components"]] for row in view.to_components()]


async def test_buttons_stand_in_their_rows_and_positions_whoever_added_them_first() -> None:
    bot = discord.Client(intents=discord.Intents.none())
    rows = result_rows(bot)
    rows.add("vary", _button("vary"), row=1, position=10)
    rows.add("edit-image", _button("edit-image"), position=50)
    rows.add("reroll", _button("reroll"), position=10)
    rows.add("board-add", _button("board-add"), position=40)
    assert result_rows(bot) is rows
    assert _layout(rows.view("j1", "en")) == [
        ["fluxcord:reroll:j1", "fluxcord:board-add:j1", "fluxcord:edit-image:j1"],
        ["fluxcord:vary:j1"],
    ]
    rows.remove("board-add")  # its cog was unloaded
    assert _layout(rows.view("j2", "en"))[0] == ["fluxcord:reroll:j2", "fluxcord:edit-image:j2"]
    # Another bot in the same process has rows of its own.
    other = result_rows(discord.Client(intents=discord.Intents.none()))
    assert _layout(other.view("j", "en")) == []


async def test_a_full_row_refuses_one_more() -> None:
    rows = result_rows(discord.Client(intents=discord.Intents.none()))
    for n in range(PER_ROW):
        rows.add(f"b{n}", _button(f"b{n}"), position=n)
    rows.add("b0", _button("b0"), position=0)  # the same button again replaces itself
    with pytest.raises(ValueError, match="already holds"):
        rows.add("sixth", _button("sixth"), position=9)
    with pytest.raises(ValueError, match="not one of"):
        rows.add("far", _button("far"), row=5, position=0)
