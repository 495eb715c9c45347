"""/server settings: everything in force in this server, as one private embed, paged
when the channel caps do not fit in one (Discord: 25 fields, 1,024 characters a field,
6,000 in all)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot import mentions, texts
from bot.i18n import NAMES, Text, catalogue, tr, trn
from bot.safety import cap_in_force
from cogs.common.context import CappableChannel, ensure_manage_server
from cogs.common.pages import Page, pager, send_page

if TYPE_CHECKING:
    from bot.client import FluxBot

KIND = "settings"
FIELD_MAX = 1024
FIELDS_PER_PAGE = 20
CHARS_PER_PAGE = 5000  # under the 6,000 of an embed, with room for title and footer

Field = tuple[str, str]


def _chunks(title: str, lines: list[str]) -> list[Field]:
    """Lines packed into fields of at most FIELD_MAX characters ("title (2)" and on)."""
    fields: list[Field] = []
    current: list[str] = []
    for line in lines:
        line = line[:FIELD_MAX]
        if current and len("\n".join([*current, line])) > FIELD_MAX:
            fields.append((title, "\n".join(current)))
            current = []
        current.append(line)
    if current or not fields:
        fields.append((title, "\n".join(current) or "none"))
    return [(name if n == 0 else f"{name} ({n + 1})", value)
            for n, (name, value) in enumerate(fields)]


def _paginate(fields: list[Field]) -> list[list[Field]]:
    pages: list[list[Field]] = [[]]
    size = 0
    for name, value in fields:
        if pages[-1] and (len(pages[-1]) >= FIELDS_PER_PAGE
                          or size + len(name) + len(value) > CHARS_PER_PAGE):
            pages.append([])
            size = 0
        pages[-1].append((name, value))
        size += len(name) + len(value)
    return pages


async def settings_fields(interaction: discord.Interaction[FluxBot]) -> list[Field]:
    """Every setting in force here, as embed fields; reading changes nothing."""
    guild = interaction.guild
    assert guild is not None
    services = interaction.client.services
    settings = services.settings
    config = await services.guilds.guild_config(guild.id)
    left = await services.credits.budget_left(guild.id)
    tiers = await services.admin.tiers(guild.id)
    forbidden = await services.admin.forbidden_models(guild.id)
    server_cap, channel_caps = await services.guilds.safety_caps(guild.id)
    log_channel = await services.admin.log_channel(guild.id)
    moderation = await _moderation_lines(interaction.client, guild.id)
    retention = await services.privacy.retention(guild.id)
    language = await services.admin.language(guild.id)
    lang = catalogue(interaction.locale)  # only the admin who asked reads it

    def _(text: Text) -> str:
        return text.render(lang)

    credits = [
        _(tr("Allowance: {credits} every {hours} h", credits=texts.credits(config.allowance),
             hours=config.period_hours)),
        _(tr("Daily budget: {budget}; spent today {spent}, left {left}",
             budget=texts.credits(config.daily_budget),
             spent=texts.credits(config.daily_budget - left), left=texts.credits(left))),
        _(tr("Ceilings set by the bot's operator: allowance {allowance}, budget {budget}",
             allowance=texts.credits(settings.MAX_ALLOWANCE),
             budget=texts.credits(settings.MAX_DAILY_BUDGET))),
    ]
    tier_lines = [_(tr("{role}: {credits} every {hours} h", role=mentions.role(t.role_id),
                       credits=texts.credits(t.allowance),
                       hours=t.period_hours or config.period_hours)) for t in tiers]
    offered = list(services.router.offered())
    allowed = texts.listing([texts.model_label(m) for m in offered if m not in forbidden])
    models = [
        _(tr("Default: {model}", model=texts.model_with_value(config.default_model))),
        _(tr("Allowed: {models}", models=allowed or tr("none"))),
    ]
    if forbidden:
        models.append(_(tr("Forbidden here: {models}", models=texts.listing(
            [texts.model_label(m) for m in sorted(forbidden)]))))
    cap_lines = [_(tr("Server cap: {cap} (outside age-restricted channels at most {sfw})",
                      cap=server_cap, sfw=settings.SFW_SAFETY_MAX))]
    channels = {c.id: c for c in guild.channels if isinstance(c, CappableChannel)}
    for channel_id, own in sorted(channel_caps.items()):
        channel = channels.get(channel_id)
        nsfw = channel is not None and channel.is_nsfw()
        cap = cap_in_force(server_cap=server_cap, channel_cap=own, age_restricted=nsfw,
                           sfw_max=settings.SFW_SAFETY_MAX)
        where = (tr("{channel}: {cap} (age-restricted); its threads and posts too",
                    channel=mentions.channel(channel_id), cap=cap) if nsfw else
                 tr("{channel}: {cap}; its threads and posts too",
                    channel=mentions.channel(channel_id), cap=cap))
        cap_lines.append(_(where))
    limits = [
        _(tr("Jobs at once: {member} per member, {server} per server",
             member=settings.MAX_JOBS_PER_MEMBER, server=settings.MAX_JOBS_PER_SERVER)),
        _(tr("Log channel: {channel}", channel=mentions.channel(log_channel.channel_id))
          if log_channel else tr("Log channel: none")),
        _(tr("Retention: {retention}", retention=retention.describe())),
        _(tr("Language: {language}", language=NAMES.get(language, language))),
    ]
    return [
        *_chunks(_(tr("Credits")), credits),
        *_chunks(_(tr("Role tiers")),
                 tier_lines or [_(tr("none: every member gets the allowance"))]),
        *_chunks(_(tr("Models")), models),
        *_chunks(_(tr("Safety caps")), cap_lines),
        *_chunks(_(tr("Moderation")), [_(line) for line in moderation]),
        *_chunks(_(tr("Limits and log")), limits),
    ]


async def _moderation_lines(bot: FluxBot, guild_id: int) -> list[Text]:
    moderation = bot.services.moderation
    entries = await moderation.entries(guild_id)
    review = await moderation.review_channel(guild_id)
    return [
        tr("Blocklist: {here} here, {operator} from the bot's operator",
           here=_entries(len(entries)), operator=_entries(len(moderation.operator))),
        tr("Review channel: {channel}", channel=mentions.channel(review)) if review else
        tr("Review channel: none (no appeals)"),
    ]


def _entries(count: int) -> Text:
    return trn("{n} entry", "{n} entries", count)


async def render(interaction: discord.Interaction[FluxBot], _target: int, page: int) -> Page:
    """Page `page` of the settings (Manage Server)."""
    ensure_manage_server(interaction)
    pages = _paginate(await settings_fields(interaction))
    page = min(page, len(pages) - 1)
    lang = catalogue(interaction.locale)
    embed = discord.Embed(title=tr("Settings in force here").render(lang),
                          colour=discord.Colour.blurple())
    for name, value in pages[page]:
        embed.add_field(name=name, value=value, inline=False)
    if len(pages) > 1:
        embed.set_footer(text=tr("Page {page} of {pages}", page=page + 1,
                                 pages=len(pages)).render(lang))
    return Page(embed, len(pages))


pager(KIND, render, lambda interaction, target: target == interaction.guild_id)


async def show_settings(interaction: discord.Interaction[FluxBot]) -> None:
    """Answers privately with the first page of the settings."""
    assert interaction.guild_id is not None
    await send_page(interaction, KIND, interaction.guild_id)
