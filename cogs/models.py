"""/models: what each model costs, takes, and whether its providers are up."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import MODELS, PROVIDER_LABELS
from bot.client import FluxBot


class Models(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="models")
    async def models(self, interaction: discord.Interaction[FluxBot]) -> None:
        """List the models, their cost, their options and their providers' state"""
        services = self.bot.services
        status = {s.provider: s for s in services.router.status()}
        blocks = []
        for model in MODELS.values():
            cost = services.settings.cost(model.id)
            costs = services.settings.costs.get(model.id)
            if isinstance(costs, dict):
                cost_text = ", ".join(f"{n} credits at {mp} MP" for mp, n in costs.items())
            else:
                cost_text = f"{cost} credits"
            providers = []
            for provider in services.router.route(model.id):
                state = status.get(provider)
                if state is None or not state.configured:
                    word = "not configured"
                elif state.healthy:
                    word = "healthy"
                else:
                    word = "failing"
                providers.append(f"{PROVIDER_LABELS.get(provider, provider)}: {word}")
            options = ", ".join(o for o in model.options() if o != "prompt")
            blocks.append(
                f"**{model.label}** `{model.id}`: {cost_text}\n"
                f"  options: {options}\n"
                f"  providers: {'; '.join(providers) or 'none'}"
            )
        await interaction.response.send_message("\n".join(blocks)[:2000], ephemeral=True)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Models(bot))
