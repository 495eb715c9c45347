"""/help: what fluxcord does, what this member can use here, their balance and the default."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot import texts
from bot.client import FluxBot
from bot.i18n import Text, tr
from cogs.common.context import role_ids_of
from cogs.common.language import member_language

FIELD_VALUE_MAX = 1024
ABOUT = tr(
    "fluxcord makes images with FLUX models from what you describe. "
    "Use `/imagine` with a prompt and the picture is posted in the channel. "
    "Each image costs credits from your balance in this server; `/models` lists the models "
    "and their prices."
)

AnyCommand = app_commands.Command[commands.Cog, ..., None]


def leaf_commands(
    entries: Sequence[object],
) -> Iterator[AnyCommand]:
    """Every slash command a member can type, subcommands included, in tree order."""
    for entry in entries:
        if isinstance(entry, app_commands.Group):
            yield from leaf_commands(entry.commands)
        elif isinstance(entry, app_commands.Command):
            yield entry


def required_permissions(command: AnyCommand) -> discord.Permissions:
    """The permissions a command asks for: its (or its group's) default permissions, and
    those of any `checks.has_permissions` on it.

    Discord applies default permissions only to top-level commands, so subcommands such
    as `/credits grant` declare theirs as a check; discord.py keeps the required flags in
    the check's closure, which is the only place they can be read back from.
    """
    needed = discord.Permissions.none()
    node: AnyCommand | app_commands.Group | None = command
    while node is not None:
        if node.default_permissions is not None:
            needed |= node.default_permissions
        node = node.parent
    for check in command.checks:
        perms = inspect.getclosurevars(check).nonlocals.get("perms")
        if isinstance(perms, dict):
            needed |= discord.Permissions(**{k: v for k, v in perms.items() if v})
    return needed


def usable_here(command: AnyCommand, interaction: discord.Interaction[FluxBot]) -> bool:
    """Whether this member could run `command` in this channel."""
    guild_only = command.guild_only or (command.root_parent is not None
                                        and command.root_parent.guild_only)
    if interaction.guild_id is None:
        return not guild_only
    have = interaction.permissions
    return have.administrator or required_permissions(command) <= have


def chunk_lines(lines: list[str], limit: int = FIELD_VALUE_MAX) -> list[str]:
    """The lines grouped into blocks of at most `limit` characters (one per embed field)."""
    blocks: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]
        if current and len(current) + 1 + len(line) > limit:
            blocks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(current)
    return blocks


class Help(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help_command(self, interaction: discord.Interaction[FluxBot]) -> None:
        """What fluxcord does, the commands you can use here and your balance"""
        services = self.bot.services
        lang = member_language(interaction)

        def _(text: Text) -> str:
            return text.render(lang)

        embed = discord.Embed(title="fluxcord", description=_(ABOUT),
                              colour=discord.Colour.blurple())
        if interaction.guild_id is not None:
            balance = await services.credits.balance(interaction.guild_id, interaction.user.id,
                                                     role_ids_of(interaction))
            config = await services.guilds.guild_config(interaction.guild_id)
            refills = f"<t:{balance.refills_at}:R>"
            embed.add_field(
                name=_(tr("Your balance")),
                value=_(tr("{credits}; your allowance refills {when}.",
                           credits=texts.credits(balance.total), when=refills)),
                inline=False,
            )
            default, where = config.default_model, tr("Default model in this server")
        else:
            default, where = services.settings.DEFAULT_MODEL, tr("Default model in direct "
                                                                 "messages")
        price = services.settings.costs.get(default, services.settings.cost(default))
        embed.add_field(
            name=_(where),
            value=_(tr("{model}, {cost} an image", model=texts.model_with_value(default),
                       cost=texts.cost(price))),
            inline=False,
        )
        lines = [
            f"`/{command.qualified_name}`: {_(tr(command.description))}"
            for command in leaf_commands(self.bot.tree.get_commands())
            if usable_here(command, interaction)
        ]
        for index, block in enumerate(chunk_lines(lines)):
            embed.add_field(name=_(tr("Commands you can use here")) if index == 0 else "\u200b",
                            value=block, inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Help(bot))
