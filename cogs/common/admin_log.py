"""The server's log channel from the Discord side: one short line per admin event, and
the day's budget alerts. A channel the bot may not post in is reported once, privately,
to the admin who chose it, instead of failing in the operator's log on every event."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot import mentions, texts
from bot.i18n import render, tr
from cogs.common.language import guild_language

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)


async def log_event(bot: FluxBot, guild_id: int | None, line: str, *,
                    warn_admin: bool = True) -> bool:
    """Posts `line` in the server's log channel (in the server's language), if it has one;
    True when posted.

    When the bot may not post there, the admin who chose the channel is told once
    (`warn_admin=False`: the caller tells them itself)."""
    if not guild_id:
        return False
    admin = bot.services.admin
    target = await admin.log_channel(guild_id)
    if target is None:
        return False
    language = await guild_language(bot, guild_id)
    channel = bot.get_partial_messageable(target.channel_id, guild_id=guild_id)
    line = render(line, language)
    try:
        await channel.send(line[:2000], allowed_mentions=discord.AllowedMentions.none())
    except (discord.Forbidden, discord.NotFound) as exc:
        if await admin.first_warning(guild_id, target.channel_id) and warn_admin:
            log.info("server %d: cannot post in log channel %d (%s); telling admin %d",
                     guild_id, target.channel_id, exc.status, target.set_by)
            guild = bot.get_guild(guild_id)  # its name, shown as typed
            server = mentions.typed(guild.name) if guild is not None else "your server"
            await _tell_admin(bot, target.set_by, server, target.channel_id)
        return False
    except discord.HTTPException as exc:
        log.warning("server %d: log channel post failed: HTTP %s", guild_id, exc.status)
        return False
    return True


async def _tell_admin(bot: FluxBot, user_id: int, server: str, channel_id: int) -> None:
    text = (f"fluxcord cannot post admin events in <#{channel_id}> ({server}): give it View "
            "Channel and Send Messages there, or choose another with `/server log-channel`. "
            "You are told this once.")
    try:
        user = bot.get_user(user_id) or await bot.fetch_user(user_id)
        await user.send(text)
    except discord.HTTPException:
        log.info("could not tell admin %d that the log channel is closed to the bot", user_id)


async def report_budget(bot: FluxBot, guild_id: int, log_channel: bool | None = None) -> None:
    """Reports the day's budget reaching 80 % and 100 %, each once per day.
    `log_channel`: whether the server has one, when the caller has read it already (a
    level not claimed for want of one is reported after the next job)."""
    if log_channel is None:
        log_channel = bool(guild_id) and await bot.services.admin.log_channel(guild_id) is not None
    if not guild_id or not log_channel:
        return  # nowhere to report: nothing to claim
    config = await bot.services.guilds.guild_config(guild_id)
    for level in await bot.services.admin.budget_alerts(guild_id, config.daily_budget):
        await log_event(bot, guild_id, tr("Budget: {share} of today's {credits} is spent.",
                                          share=mentions.percent(level),
                                          credits=texts.credits(config.daily_budget)))
