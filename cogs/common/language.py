"""Which language a text is shown in: the member's own for what only they see, the
server's (`/server language`) for what everyone sees."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.i18n import catalogue

if TYPE_CHECKING:
    from bot.client import FluxBot


def member_language(interaction: discord.Interaction[FluxBot]) -> str:
    """The catalogue of the member's Discord language (English if fluxcord lacks it)."""
    return catalogue(interaction.locale)


async def server_language(interaction: discord.Interaction[FluxBot]) -> str:
    """The catalogue of the language chosen for the server's shared texts."""
    return await guild_language(interaction.client, interaction.guild_id or 0)


async def guild_language(bot: FluxBot, guild_id: int) -> str:
    """The catalogue of server `guild_id`'s shared texts (English in direct messages)."""
    return catalogue(await bot.services.admin.language(guild_id))
