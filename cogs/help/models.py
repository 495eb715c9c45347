"""/models: what each model costs, takes, and whether its providers are up, as one embed."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import texts
from bot.catalogue import Model
from bot.client import FluxBot
from bot.providers.registry import label as provider_label
from bot.providers.router import ProviderStatus

# Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when it had to be cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def provider_state(status: ProviderStatus | None) -> str:
    """A provider's state in a member's words, from what the router has seen."""
    if status is None or not status.configured:
        return "not configured"
    if status.fatal:
        # The router has taken it out of every route until a check finds it working again.
        return "out of service"
    if not status.healthy:
        return "failing"
    if status.cooling_down:
        return "healthy, slowed by rate limits"
    return "healthy"


class Models(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="models")
    async def models(self, interaction: discord.Interaction[FluxBot]) -> None:
        """List the models, their cost, their options and their providers' state"""
        services = self.bot.services
        default: str = services.settings.DEFAULT_MODEL
        forbidden: set[str] = set()
        if interaction.guild_id is not None:
            default = (await services.guilds.guild_config(interaction.guild_id)).default_model
            forbidden = await services.admin.forbidden_models(interaction.guild_id)
        embed = discord.Embed(
            title="Models",
            description="Pick one with `/imagine model:`. Costs are per image.",
            colour=discord.Colour.blurple(),
        )
        offered = services.router.offered()
        for model in list(offered.values())[:FIELDS_MAX]:
            name = model.label + (" (this server's default)" if model.id == default else "")
            if model.id in forbidden:
                name = f"{model.label} (not allowed in this server)"
            embed.add_field(
                name=clip(name, FIELD_NAME_MAX),
                value=clip(self.describe(model), FIELD_VALUE_MAX),
                inline=False,
            )
        embed.set_footer(text="Provider state is what the bot has seen on its recent requests.")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    def describe(self, model: Model) -> str:
        """One model's field: its choice value, cost, the options its configured providers
        take, and each provider's state."""
        services = self.bot.services
        status = {s.provider: s for s in services.router.status()}
        price = services.settings.costs.get(model.id, services.settings.cost(model.id))
        options = [f"`{o}`" for o in model.options() if o != "prompt"]
        lines = [
            # An image editor is not a choice of /imagine: it is what /edit runs; a blend
            # of references is what /blend runs; a tool is what a button under a result runs.
            ("Used by: the buttons under a result" if model.tool
             else "Used by: /edit" if model.edits else "Used by: /blend" if model.references
             else f"Choice: `{model.id}`"),
            f"Cost: {texts.cost(price)}",
            f"Takes: {', '.join(options) or 'a prompt only'}",
        ]
        route = services.router.route(model.id)
        lines += [
            f"{provider_label(p)}: {provider_state(status.get(p))}" for p in route
        ]
        if not route:
            lines.append("No provider: turned off by the operator")
        return "\n".join(lines)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Models(bot))
