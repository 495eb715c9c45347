"""/models: what each model costs, takes, and whether its providers are up, as one embed."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import texts
from bot.catalogue import Model
from bot.client import FluxBot
from bot.i18n import Text, join, render, tr
from bot.providers.registry import label as provider_label
from bot.providers.router import ProviderStatus
from cogs.common.language import member_language

# Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when it had to be cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def provider_state(status: ProviderStatus | None) -> Text:
    """A provider's state in a member's words, from what the router has seen."""
    if status is None or not status.configured:
        return tr("not configured")
    if status.fatal:
        # The router has taken it out of every route until a check finds it working again.
        return tr("out of service")
    if not status.healthy:
        return tr("failing")
    if status.cooling_down:
        return tr("healthy, slowed by rate limits")
    return tr("healthy")


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
        lang = member_language(interaction)
        embed = discord.Embed(
            title=tr("Models").render(lang),
            description=tr("Pick one with `/imagine model:`. Costs are per image.").render(lang),
            colour=discord.Colour.blurple(),
        )
        offered = services.router.offered()
        for model in list(offered.values())[:FIELDS_MAX]:
            name = (tr("{model} (this server's default)", model=model.label)
                    if model.id == default else model.label)
            if model.id in forbidden:
                name = tr("{model} (not allowed in this server)", model=model.label)
            embed.add_field(
                name=clip(render(name, lang), FIELD_NAME_MAX),
                value=clip(self.describe(model).render(lang), FIELD_VALUE_MAX),
                inline=False,
            )
        embed.set_footer(text=tr("Provider state is what the bot has seen on its recent "
                                 "requests.").render(lang))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    def describe(self, model: Model) -> Text:
        """One model's field: its choice value, cost, the options its configured providers
        take, and each provider's state."""
        services = self.bot.services
        status = {s.provider: s for s in services.router.status()}
        price = services.settings.costs.get(model.id, services.settings.cost(model.id))
        options = [f"`{o}`" for o in model.options() if o != "prompt"]
        lines = [
            # An image editor is not a choice of /imagine: it is what /edit runs; a blend
            # of references is what /blend runs; a tool is what a button under a result runs.
            (tr("Used by: the buttons under a result") if model.tool
             else tr("Used by: /edit") if model.edits
             else tr("Used by: /blend") if model.references
             else tr("Choice: `{model}`", model=model.id)),
            tr("Cost: {cost}", cost=texts.cost(price)),
            tr("Takes: {options}", options=", ".join(options) or tr("a prompt only")),
        ]
        route = services.router.route(model.id)
        lines += [
            join([provider_label(p), provider_state(status.get(p))], ": ") for p in route
        ]
        if not route:
            lines.append(tr("No provider: turned off by the operator"))
        return join(lines, "\n")


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Models(bot))
