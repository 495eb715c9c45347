"""/server settings: everything in force in this server, as one private embed, paged
when the channel caps do not fit in one (Discord: 25 fields, 1,024 characters a field,
6,000 in all)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot import texts
from bot.i18n import NAMES
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

    credits = [
        f"Allowance: {texts.credits(config.allowance)} every {config.period_hours} h",
        f"Daily budget: {texts.credits(config.daily_budget)}; spent today "
        f"{texts.credits(config.daily_budget - left)}, left {texts.credits(left)}",
        f"Ceilings set by the bot's operator: allowance {texts.credits(settings.MAX_ALLOWANCE)}"
        f", budget {texts.credits(settings.MAX_DAILY_BUDGET)}",
    ]
    tier_lines = [f"<@&{t.role_id}>: {texts.credits(t.allowance)} every "
                  f"{t.period_hours or config.period_hours} h" for t in tiers]
    offered = list(services.router.offered())
    models = [
        f"Default: {texts.model_with_value(config.default_model)}",
        "Allowed: " + (texts.listing([texts.model_label(m) for m in offered
                                      if m not in forbidden]) or "none"),
    ]
    if forbidden:
        models.append("Forbidden here: "
                      + texts.listing([texts.model_label(m) for m in sorted(forbidden)]))
    cap_lines = [f"Server cap: {server_cap} (outside age-restricted channels at most "
                 f"{settings.SFW_SAFETY_MAX})"]
    channels = {c.id: c for c in guild.channels if isinstance(c, CappableChannel)}
    for channel_id, own in sorted(channel_caps.items()):
        channel = channels.get(channel_id)
        nsfw = channel is not None and channel.is_nsfw()
        cap = cap_in_force(server_cap=server_cap, channel_cap=own, age_restricted=nsfw,
                           sfw_max=settings.SFW_SAFETY_MAX)
        cap_lines.append(f"<#{channel_id}>: {cap}" + (" (age-restricted)" if nsfw else "")
                         + "; its threads and posts too")
    limits = [
        f"Jobs at once: {settings.MAX_JOBS_PER_MEMBER} per member, "
        f"{settings.MAX_JOBS_PER_SERVER} per server",
        f"Log channel: <#{log_channel.channel_id}>" if log_channel else "Log channel: none",
        f"Retention: {retention.describe()}",
        f"Language: {NAMES.get(language, language)}",
    ]
    return [
        *_chunks("Credits", credits),
        *_chunks("Role tiers", tier_lines or ["none: every member gets the allowance"]),
        *_chunks("Models", models),
        *_chunks("Safety caps", cap_lines),
        *_chunks("Moderation", moderation),
        *_chunks("Limits and log", limits),
    ]


async def _moderation_lines(bot: FluxBot, guild_id: int) -> list[str]:
    moderation = bot.services.moderation
    entries = await moderation.entries(guild_id)
    review = await moderation.review_channel(guild_id)
    return [
        f"Blocklist: {_entries(len(entries))} here, {_entries(len(moderation.operator))} "
        "from the bot's operator",
        f"Review channel: <#{review}>" if review else "Review channel: none (no appeals)",
    ]


def _entries(count: int) -> str:
    return f"{count:,} entr{'y' if count == 1 else 'ies'}"


async def render(interaction: discord.Interaction[FluxBot], _target: int, page: int) -> Page:
    """Page `page` of the settings (Manage Server)."""
    ensure_manage_server(interaction)
    pages = _paginate(await settings_fields(interaction))
    page = min(page, len(pages) - 1)
    embed = discord.Embed(title="Settings in force here", colour=discord.Colour.blurple())
    for name, value in pages[page]:
        embed.add_field(name=name, value=value, inline=False)
    if len(pages) > 1:
        embed.set_footer(text=f"Page {page + 1} of {len(pages)}")
    return Page(embed, len(pages))


pager(KIND, render, lambda interaction, target: target == interaction.guild_id)


async def show_settings(interaction: discord.Interaction[FluxBot]) -> None:
    """Answers privately with the first page of the settings."""
    assert interaction.guild_id is not None
    await send_page(interaction, KIND, interaction.guild_id)
