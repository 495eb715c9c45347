"""Paged private answers with `Previous` and `Next` buttons that keep working after a
restart: each button is a DynamicItem whose custom_id names what is paged, whose it is
and the page, and the page is built again from the database when it is clicked."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.client import report_error
from cogs.common.component import SNOWFLAKE_MAX, Checked, NotHere

if TYPE_CHECKING:
    from bot.client import FluxBot


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its embed, and how many pages there are."""

    embed: discord.Embed
    count: int


# Builds page `page` (0-based) of kind `kind` for `target`, checking who may see it.
Render = Callable[["discord.Interaction[FluxBot]", int, int], Awaitable[Page]]
# Whether `target` may be paged from this interaction (the server's own settings only).
Fits = Callable[["discord.Interaction[FluxBot]", int], bool]
_RENDERERS: dict[str, Render] = {}
_FITS: dict[str, Fits] = {}


def pager(kind: str, render: Render, fits: Fits | None = None) -> None:
    """Registers how pages of `kind` are built (once per kind, at cog load), and which
    targets a click may name."""
    _RENDERERS[kind] = render
    if fits is not None:
        _FITS[kind] = fits


def page_view(kind: str, target: int, page: int, count: int) -> discord.ui.View | None:
    """The Previous/Next buttons for page `page` of `count` (None when one page)."""
    if count <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(kind, target, page - 1, "Previous", disabled=page <= 0))
    view.add_item(PageButton(kind, target, page + 1, "Next", disabled=page >= count - 1))
    return view


async def send_page(interaction: discord.Interaction[FluxBot], kind: str, target: int,
                    page: int = 0) -> None:
    """Answers privately with page `page`."""
    built = await _RENDERERS[kind](interaction, target, page)
    view = page_view(kind, target, page, built.count)
    if view is None:
        await interaction.response.send_message(embed=built.embed, ephemeral=True)
    else:
        await interaction.response.send_message(embed=built.embed, view=view, ephemeral=True)


class PageButton(
    Checked, discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"fluxcord:page:(?P<kind>[a-z]{1,20}):(?P<target>[0-9]{1,20}):(?P<page>[0-9]{1,6})",
):
    """Shows another page of the same answer, in place."""

    def __init__(self, kind: str, target: int, page: int, label: str, *,
                 disabled: bool = False) -> None:
        # Previous on the first page points nowhere new; it is disabled, and its id still
        # differs from Next's (page 0 against page 1), as Discord requires.
        page = max(page, 0)
        super().__init__(discord.ui.Button(
            label=label, style=discord.ButtonStyle.secondary, disabled=disabled,
            custom_id=f"fluxcord:page:{kind}:{target}:{page}",
        ))
        self.kind, self.target, self.page = kind, target, page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]) -> PageButton:
        # The label does not matter here: the answer gets a new pair of buttons.
        return cls(match["kind"], int(match["target"]), int(match["page"]), "Next")

    async def admit(self, interaction: discord.Interaction[FluxBot]) -> None:
        fits = _FITS.get(self.kind, lambda _interaction, _target: True)
        if (self.kind not in _RENDERERS or self.target > SNOWFLAKE_MAX
                or not fits(interaction, self.target)):
            raise NotHere

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        try:
            render = _RENDERERS.get(self.kind)
            if render is None:
                raise LookupError(f"no pages of kind {self.kind!r}")
            built = await render(interaction, self.target, self.page)
            page = min(self.page, built.count - 1)
            view = page_view(self.kind, self.target, page, built.count)
            await interaction.response.edit_message(embed=built.embed, view=view)
        except Exception as exc:
            await report_error(interaction, exc)
