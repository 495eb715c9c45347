"""Autocomplete of /imagine's `prompt`, `preset` and `board` (and of the /preset and /board
commands' `name`): only ever the asking member's own prompts and presets, and this
server's boards."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.client import FluxBot


async def preset_names(interaction: discord.Interaction[FluxBot], current: str
                       ) -> list[app_commands.Choice[str]]:
    """Autocomplete: the member's own presets here whose name holds what was typed."""
    if interaction.guild_id is None:
        return []
    names = await interaction.client.services.presets.preset_names(
        interaction.guild_id, interaction.user.id, current)
    return [app_commands.Choice(name=n, value=n) for n in names]


async def recent_prompts(interaction: discord.Interaction[FluxBot], current: str
                         ) -> list[app_commands.Choice[str]]:
    """Autocomplete: the member's own recent prompts here holding what was typed."""
    if interaction.guild_id is None:
        return []
    prompts = await interaction.client.services.presets.recent_prompts(
        interaction.guild_id, interaction.user.id, current)
    return [app_commands.Choice(name=p, value=p) for p in prompts]


async def board_names(interaction: discord.Interaction[FluxBot], current: str
                      ) -> list[app_commands.Choice[str]]:
    """Autocomplete: the server's boards whose name holds what was typed, most recently
    used first."""
    if interaction.guild_id is None:
        return []
    typed = current.casefold().strip()
    boards = await interaction.client.services.boards.boards(interaction.guild_id)
    return [app_commands.Choice(name=b.name, value=b.name)
            for b, _ in boards if typed in b.name.casefold()][:25]
