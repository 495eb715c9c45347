"""/preferences and /preset: a member's own defaults in a server, and the autocompletes
of /imagine's `prompt` and `preset`. Every answer is private and about the member who
asked, whoever else is in the server."""

# No `from __future__ import annotations` here: discord.py reads the Range bounds below
# from the signature, and they are computed from the catalogue at import.

import discord
from discord import app_commands
from discord.ext import commands

from bot import mentions
from bot.client import FluxBot
from bot.i18n import tr
from bot.presets.checks import NAME_MAX, SUFFIX_MAX, describe
from bot.replies import reply
from cogs.common.autocomplete import preset_names
from cogs.common.context import MODEL_CHOICES
from cogs.common.language import member_language
from cogs.common.options import (
    FORMAT_CHOICES,
    PRESET_OPTIONS,
    RATIO_CHOICES,
    Guidance,
    Quality,
    Safety,
    Seed,
    Side,
    Steps,
    Strength,
    given_options,
    given_values,
    imagine_options,
)

FIXED_RATIOS = [c for c in RATIO_CHOICES if c.value != "custom"]


def _member(interaction: discord.Interaction[FluxBot]) -> tuple[int, int]:
    assert interaction.guild_id is not None  # the groups are guild_only
    return interaction.guild_id, interaction.user.id


@app_commands.guild_only()
class Preferences(commands.GroupCog, group_name="preferences"):
    """Your own defaults for /imagine in this server"""

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="set")
    @app_commands.describe(model="Your default model here",
                           aspect_ratio="Your default shape",
                           output_format="Your default file format",
                           prompt_suffix="Words added after each of your prompts")
    @app_commands.choices(model=MODEL_CHOICES, aspect_ratio=FIXED_RATIOS,
                          output_format=FORMAT_CHOICES)
    async def set_preferences(
        self,
        interaction: discord.Interaction[FluxBot],
        model: str | None = None,
        aspect_ratio: str | None = None,
        output_format: str | None = None,
        prompt_suffix: app_commands.Range[str, 1, SUFFIX_MAX] | None = None,
    ) -> None:
        """Set your defaults for /imagine here (the values given; others are kept)"""
        values = {"model": model, "aspect_ratio": aspect_ratio,
                  "output_format": output_format, "prompt_suffix": prompt_suffix}
        if all(v is None for v in values.values()):
            await reply(interaction, tr("Give at least one value to set; `/preferences show` "
                                        "shows yours."))
            return
        prefs = await self.bot.services.presets.set_preferences(
            *_member(interaction), values, self.bot.services.router.offered())
        await reply(interaction, tr("Your preferences here: {describe}. A value a command, "
                                    "preset or board sets comes first.",
                                    describe=describe(prefs)))

    @app_commands.command()
    async def show(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Show your defaults for /imagine here"""
        prefs = await self.bot.services.presets.preferences(*_member(interaction))
        if not prefs:
            await reply(interaction, tr("You have no preferences here. Set some with "
                                        "`/preferences set`."))
            return
        await reply(interaction, tr("Your preferences here: {describe}.",
                                    describe=describe(prefs)))

    @app_commands.command()
    async def clear(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Forget your defaults for /imagine here"""
        await self.bot.services.presets.clear_preferences(*_member(interaction))
        await reply(interaction, tr("Your preferences here are cleared."))


@app_commands.guild_only()
class Presets(commands.GroupCog, group_name="preset"):
    """Named bundles of /imagine options, your own"""

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command()
    @imagine_options(describe={"name": "A name to call it by in /imagine preset:",
                               "model": "Which FLUX model", "seed": "A fixed seed"})
    async def save(
        self,
        interaction: discord.Interaction[FluxBot],
        name: app_commands.Range[str, 1, NAME_MAX],
        model: str | None = None,
        aspect_ratio: str | None = None,
        width: Side | None = None,
        height: Side | None = None,
        steps: Steps | None = None,
        guidance: Guidance | None = None,
        seed: Seed | None = None,
        prompt_strength: Strength | None = None,
        output_format: str | None = None,
        output_quality: Quality | None = None,
        safety_tolerance: Safety | None = None,
        prompt_upsampling: bool | None = None,
        megapixels: str | None = None,
        go_fast: bool | None = None,
    ) -> None:
        """Save /imagine options under a name (replaces a preset of that name)"""
        # The signature declares the options to Discord; `given_options` reads them.
        options = given_options(given_values(interaction), PRESET_OPTIONS)
        preset, replaced = await self.bot.services.presets.save_preset(
            *_member(interaction), name, model, options, self.bot.services.router.offered())
        shown = {"name": mentions.typed(preset.name), "preset": mentions.in_code(preset.name),
                 "describe": describe(preset.options)}
        said = (tr("Preset “{name}” replaced: {describe}. Use it with `/imagine "
                   "preset:{preset}`.", **shown) if replaced else
                tr("Preset “{name}” saved: {describe}. Use it with `/imagine "
                   "preset:{preset}`.", **shown))
        await reply(interaction, said)

    @app_commands.command(name="list")
    async def list_presets(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Your presets here"""
        presets = await self.bot.services.presets.presets(*_member(interaction))
        if not presets:
            await reply(interaction, tr("You have no presets here. Save one with `/preset save`."))
            return
        lang = member_language(interaction)
        lines = [f"**{mentions.typed(p.name)}**: {describe(p.options).render(lang)}"
                 for p in presets]
        embed = discord.Embed(title=tr("Your presets").render(lang),
                              description="\n".join(lines)[:4000])
        await reply(interaction, None, embed=embed)

    @app_commands.command()
    @app_commands.describe(name="The preset")
    @app_commands.autocomplete(name=preset_names)
    async def delete(self, interaction: discord.Interaction[FluxBot],
                     name: app_commands.Range[str, 1, NAME_MAX]) -> None:
        """Delete one of your presets"""
        await self.bot.services.presets.delete_preset(*_member(interaction), name)
        await reply(interaction, tr("Preset “{name}” deleted.",
                                    name=mentions.typed(name)))


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Preferences(bot))
    await bot.add_cog(Presets(bot))
