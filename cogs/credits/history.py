"""/credits history: a member's ledger rows, newest first, 10 a page (see `cogs.common.pages`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot import mentions, texts
from bot.admin.history import describe as describe_entry
from bot.admin.history import history_page
from bot.i18n import catalogue, tr, trn
from bot.i18n import render as render_text
from cogs.common.context import ensure_manage_server
from cogs.common.pages import Page, pager, send_page

if TYPE_CHECKING:
    from bot.client import FluxBot

KIND = "history"


async def render(interaction: discord.Interaction[FluxBot], user_id: int, page: int) -> Page:
    """Page `page` of `user_id`'s history; someone else's needs Manage Server."""
    assert interaction.guild_id is not None
    if user_id != interaction.user.id:
        ensure_manage_server(interaction)
    services = interaction.client.services
    found = await history_page(services.store, interaction.guild_id, user_id, page)
    lang = catalogue(interaction.locale)
    lines = []
    for entry in found.entries:
        change = f"{'+' if entry.delta > 0 else ''}{texts.credits(entry.delta).render(lang)}"
        short = f"`{entry.job_id[-8:]}`" if entry.job_id else ""
        job = " · " + tr("job {job}", job=short).render(lang) if entry.job_id else ""
        lines.append(f"<t:{int(entry.created_at)}:f> · **{change}** ({entry.bucket}) · "
                     f"{render_text(describe_entry(entry), lang)}{job}")
    embed = discord.Embed(
        title=tr("Credit history").render(lang),
        description=tr("{member} in this server, newest first.", member=mentions.member(user_id)
                       ).render(lang) + "\n\n"
                    + ("\n".join(lines) or tr("No credit has moved yet.").render(lang)),
        colour=discord.Colour.blurple(),
    )
    embed.set_footer(text=trn("Page {page} of {pages} · {n} entry",
                              "Page {page} of {pages} · {n} entries", found.total,
                              page=found.page + 1, pages=found.pages).render(lang))
    return Page(embed, found.pages)


pager(KIND, render)


async def show_history(interaction: discord.Interaction[FluxBot], user_id: int) -> None:
    """Answers privately with the first page."""
    await send_page(interaction, KIND, user_id)
