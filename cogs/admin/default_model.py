"""/default-model: which model /imagine uses in this server when none is chosen."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import MODELS
from bot.client import FluxBot
from bot.i18n import tr
from cogs.common.admin_log import log_event
from cogs.common.context import MODEL_CHOICES, manage_server


class Server(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="default-model")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @manage_server
    @app_commands.describe(model="The model to use when none is chosen (empty: the bot's default)")
    @app_commands.choices(model=MODEL_CHOICES)
    async def default_model(
        self, interaction: discord.Interaction[FluxBot], model: str | None = None
    ) -> None:
        """Set this server's default model (Manage Server)"""
        assert interaction.guild_id is not None
        services = self.bot.services
        config = await services.guilds.set_default_model(interaction.guild_id, model)
        chosen = MODELS[config.default_model]
        where = tr("chosen for this server") if model else tr("the bot's default")
        await interaction.response.send_message(
            tr("/imagine now uses {label} (`{id}`, {where}) when no model is given.",
               label=chosen.label, id=chosen.id, where=where).render(interaction.locale),
            ephemeral=True,
        )
        await log_event(self.bot, interaction.guild_id,
                        tr("{admin} set the default model to {model}.",
                           admin=interaction.user.mention, model=chosen.label))


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Server(bot))
