"""Fixtures for the end-to-end tests: a Discord world, the provider stand-ins, the bot."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support.harness import BotRunner, e2e_settings
from tests.support.standins.discord_api import Channel, DiscordStandIn, Guild, Message, Perm, User
from tests.support.standins.providers import ProviderStandIns


@dataclass
class World:
    discord: DiscordStandIn
    providers: ProviderStandIns
    guild: Guild
    general: Channel
    after_dark: Channel
    alice: User
    bob: User
    admin: User
    runner: BotRunner


@pytest.fixture
async def discord_standin() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as standin:
        standin.install()
        yield standin
        assert standin.unknown_requests == []
        assert standin.internal_errors == []


async def make_world(
    tmp_path: Path,
    discord: DiscordStandIn,
    providers: ProviderStandIns,
    *,
    clock: Callable[[], float] | None = None,
    **settings: Any,
) -> AsyncIterator[World]:
    guild = discord.add_guild("Moodboard")
    general = guild.add_channel("general")
    after_dark = guild.add_channel("after-dark", nsfw=True)
    alice = discord.add_user("alice")
    bob = discord.add_user("bob")
    admin = discord.add_user("admin", permissions=Perm.MANAGE_GUILD | Perm.MANAGE_MESSAGES)
    runner = BotRunner(e2e_settings(tmp_path, discord, providers, **settings), discord,
                       clock=clock)
    await runner.start()
    try:
        yield World(discord, providers, guild, general, after_dark, alice, bob, admin, runner)
        # Every scenario ends with a ledger that adds up.
        if runner.services is not None:
            assert await runner.audit() == []
    finally:
        await runner.stop()


@pytest.fixture
async def world(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins):
        yield world


def decode(message: Message) -> Image.Image:
    """The image attached to a result message, decoded."""
    assert message.attachments, f"no attachment on message {message.id}"
    image = Image.open(io.BytesIO(message.attachments[0].data))
    image.load()
    return image


def results(channel: Channel) -> list[Message]:
    """The public messages of the channel that carry an image."""
    return [m for m in channel.messages if m.attachments and not m.deleted]


def private_text(ix: Any) -> str:
    """What the member alone saw last: the ephemeral original response."""
    assert ix.original is not None, "the interaction was never answered"
    assert ix.original.ephemeral, "a private answer turned up publicly"
    return str(ix.original.content)


def is_settled(ix: Any) -> bool:
    """The member's interaction has its last word: a refusal, a failure, or "Done" with
    the image posted."""
    original = ix.original
    if original is None or original.loading:
        return False
    text = str(original.content)
    if text.startswith(("Queued", "Generating")):
        return False
    if text.startswith("Done"):  # said just before the upload: wait for the image
        posted_late = ix.expired and bool(results(ix.channel))
        return any(m.attachments for m in ix.followups) or posted_late
    return True


async def settled(ix: Any) -> Any:
    """Waits (up to 15 s) until `is_settled(ix)`; returns `ix`."""
    await ix.wait_until(is_settled, timeout=15.0)
    return ix


def private_embed(ix: Any) -> dict[str, Any]:
    """The embed of the member's private answer (an interaction answered with one)."""
    assert ix.original is not None, "the interaction was never answered"
    assert ix.original.ephemeral, "a private answer turned up publicly"
    assert ix.original.embeds, f"no embed in the answer: {ix.original.content!r}"
    embed: dict[str, Any] = ix.original.embeds[0]
    return embed


def embed_text(embed: dict[str, Any]) -> str:
    """Everything an embed shows, as lines: title, description, each field's name and value."""
    parts = [embed.get("title") or "", embed.get("description") or ""]
    for field in embed.get("fields") or []:
        parts += [field["name"], field["value"]]
    return "\n".join(parts)
