"""/history: a member's own results in this server, newest first, 10 a page, each with
its model, seed, time and link, and a Reroll of any of them."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import mentions
from bot.boards.service import HISTORY_PAGE
from bot.boards.store import HistoryEntry
from bot.client import FluxBot, report_error
from bot.errors import UserError
from bot.i18n import SOURCE, catalogue, tr
from bot.replies import defer_private
from bot.texts import model_label
from cogs.common.component import Checked, job_here
from cogs.common.job.embed import clipped
from cogs.common.job.result import run_job, stored_request
from cogs.common.links import jump_link

QUERY_MAX = 60  # the query rides in the page buttons' custom_ids (at most 100 characters)
HISTORY_COLOUR = discord.Colour(0x5865F2)
PROMPT_SHOWN = 200  # characters of each prompt, escaped


async def history_page(interaction: discord.Interaction[FluxBot], query: str | None,
                       page: int) -> tuple[discord.Embed, discord.ui.View]:
    """The embed and buttons of page `page` (from 0) of the member's history here."""
    boards = interaction.client.services.boards
    entries, more = await boards.history(interaction.guild_id or 0, interaction.user.id,
                                         query, page)
    if not entries and page == 0:
        raise UserError(tr("You have no images matching “{query}” in this server yet.",
                           query=mentions.typed(query)) if query else
                        tr("You have no images in this server yet."))
    lang = catalogue(interaction.locale)
    title = (tr("Your images matching “{query}”", query=mentions.typed(query)) if query
             else tr("Your images"))
    embed = discord.Embed(title=title.render(lang), colour=HISTORY_COLOUR,
                          description="\n\n".join(_line(page * HISTORY_PAGE + n, e, lang)
                                                  for n, e in enumerate(entries, start=1)))
    embed.set_footer(text=tr("Page {page}", page=page + 1).render(lang))
    view = discord.ui.View(timeout=None)
    view.add_item(HistoryPage("prev", page - 1, query or "", disabled=page == 0, lang=lang))
    view.add_item(HistoryPage("next", page + 1, query or "", disabled=not more, lang=lang))
    if entries:
        view.add_item(HistoryReroll(entries, page * HISTORY_PAGE, lang))
    return embed, view


def _line(number: int, entry: HistoryEntry, lang: str = SOURCE) -> str:
    # Cut once escaped, which can make a prompt twice as long as typed: ten lines then
    # stay within Discord's 4,096 characters for the description.
    prompt = clipped(mentions.typed(entry.prompt), PROMPT_SHOWN)
    link = jump_link(entry.guild_id, entry.channel_id, entry.message_id)
    when = f"<t:{int(entry.created_at)}:R>"
    return (f"**{number}.** {prompt}\n"
            + tr("{model} · seed {seed} · {when} · [image]({link})",
                 model=model_label(entry.model), seed=entry.seed, when=when,
                 link=link).render(lang))


class HistoryPage(discord.ui.DynamicItem[discord.ui.Button[Any]],
                  template=r"fluxcord:history:(?P<dir>prev|next):(?P<page>-?[0-9]{1,6}):(?P<q>.*)"):
    """Previous / Next: the page and the query are in the custom_id, so the buttons work
    after a restart. The history is always the clicking member's own."""

    def __init__(self, direction: str, page: int, query: str, *, disabled: bool = False,
                 lang: str = SOURCE) -> None:
        label = tr("Previous") if direction == "prev" else tr("Next")
        super().__init__(discord.ui.Button(
            label=label.render(lang), style=discord.ButtonStyle.secondary, disabled=disabled,
            custom_id=f"fluxcord:history:{direction}:{page}:{query}"))
        self.page = page
        self.query = query

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]
                             ) -> HistoryPage:
        return cls(match["dir"], int(match["page"]), match["q"])

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        try:
            embed, view = await history_page(interaction, self.query or None,
                                             max(0, self.page))
            await interaction.response.edit_message(embed=embed, view=view)
        except Exception as exc:
            await report_error(interaction, exc)


class HistoryReroll(Checked, discord.ui.DynamicItem[discord.ui.Select[Any]],
                    template=r"fluxcord:history-reroll"):
    """A select of the page's entries: choosing one runs it again with a new seed,
    charged like Reroll. The chosen value is a job id: the member's own, here."""

    def __init__(self, entries: list[HistoryEntry] | None = None, first: int = 0,
                 lang: str = SOURCE) -> None:
        options = [
            discord.SelectOption(label=f"{first + n}. {e.prompt[:90]}", value=e.job_id,
                                 description=tr("{model} · seed {seed}",
                                                model=model_label(e.model), seed=e.seed
                                                ).render(lang)[:100])
            for n, e in enumerate(entries or [], start=1)
        ]
        super().__init__(discord.ui.Select(
            custom_id="fluxcord:history-reroll",
            placeholder=tr("Reroll one of these…").render(lang),
            options=options or [discord.SelectOption(label="-", value="-")]))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]
                             ) -> HistoryReroll:
        return cls()

    async def admit(self, interaction: discord.Interaction[FluxBot]) -> None:
        data: Any = interaction.data or {}
        chosen = str(next(iter(data.get("values") or []), ""))
        self.job = await job_here(interaction, chosen, requester_only=True)

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        await defer_private(interaction)
        try:
            await run_job(interaction, await stored_request(interaction, self.job.id))
        except Exception as exc:
            await report_error(interaction, exc)


class History(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(HistoryPage, HistoryReroll)

    @app_commands.command()
    @app_commands.guild_only()
    @app_commands.describe(query="Only prompts containing this text")
    async def history(self, interaction: discord.Interaction[FluxBot],
                      query: app_commands.Range[str, 1, QUERY_MAX] | None = None) -> None:
        """Your images in this server, newest first, with a Reroll of any of them"""
        await defer_private(interaction)
        embed, view = await history_page(interaction, query, 0)
        await interaction.edit_original_response(embed=embed, view=view)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(History(bot))
