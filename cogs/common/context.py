"""What several cogs share: the Manage Server check, the model choices, and the safety
rules of the place a command or button was used in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from bot.catalogue import MODELS
from bot.jobs.request import Attachment, ImagineRequest

# The models /imagine offers: image editors are /edit's, reference blends /blend's.
MODEL_CHOICES = [
    app_commands.Choice(name=m.label, value=m.id) for m in MODELS.values() if m.imagine
]

# The channels members can generate in, and so the ones a safety cap can be set for:
# text and news (TextChannel), forums (their posts are threads), voice and stage text chat.
CappableChannel = (
    discord.TextChannel | discord.ForumChannel | discord.VoiceChannel | discord.StageChannel
)



manage_server = app_commands.checks.has_permissions(manage_guild=True)
"""The one way a command requires Manage Server (the tree turns a refusal into a reply)."""


def ensure_manage_server(interaction: discord.Interaction[Any]) -> None:
    """The same check, for a command that needs it only for some of its uses."""
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])


def role_ids_of(interaction: discord.Interaction[Any]) -> tuple[int, ...]:
    """The roles the member holds now, as the interaction carries them (none in DMs)."""
    user = interaction.user
    if isinstance(user, discord.Member):
        return tuple(role.id for role in user.roles)
    return ()


@dataclass(frozen=True, slots=True)
class Place:
    """Where a member asked: the channel to answer in. Its cap and age restriction are
    read when the job starts (bot.channels), never kept with the request."""

    channel_id: int


def place_of(interaction: discord.Interaction[Any]) -> Place:
    """The channel the interaction came from (a thread is its own place)."""
    return Place(interaction.channel_id or 0)


def request_here(interaction: discord.Interaction[Any], prompt: str, *,
                 model: str | None = None, options: Mapping[str, Any] | None = None,
                 attachment: Attachment | None = None, seed: int | None = None,
                 board: str | None = None, preset: str | None = None, count: int = 1,
                 channel_id: int = 0, source: str | None = None) -> ImagineRequest:
    """The request of the interaction's member, in its place (`channel_id` when the
    interaction names none), with the roles it carried: the one way a command or a
    component makes a job's request. `source`: the job whose result it remakes."""
    return ImagineRequest(
        guild_id=interaction.guild_id or 0,
        channel_id=place_of(interaction).channel_id or channel_id,
        user_id=interaction.user.id,
        prompt=prompt,
        model=model,
        options=dict(options or {}),
        attachment=attachment,
        seed=seed,
        board=board,
        preset=preset,
        role_ids=role_ids_of(interaction),
        count=count,
        source=source,
    )
