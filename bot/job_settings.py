"""What a job reads of its server's and member's settings, in one transaction.

The preset and preferences, the server's settings and channel caps, the models it
forbids and the member's moderation standing live in different slices, each with its
own rule; a job runs them all in one read (one hop to SQLite's thread, one PostgreSQL
transaction) instead of one each, then each slice judges its part.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.admin import store as admin_store
from bot.admin.server import forbidden_rule
from bot.credits import store as credits_store
from bot.credits.rows import GuildConfig
from bot.moderation.service import ScreenRows, screen_rule
from bot.presets.service import StoredLayers, layers_rule
from bot.storage import Store, Transaction


@dataclass(frozen=True, slots=True)
class JobSettings:
    config: GuildConfig
    channel_caps: dict[int, int]
    forbidden: set[str]
    # None where the feature is not wired (no power-user or moderation service).
    layers: StoredLayers | None
    screen: ScreenRows | None
    # Whether the server has a log channel: without one, no budget alert is worked out.
    log_channel: bool = False


async def read_job_settings(store: Store, guild_id: int, user_id: int, preset: str | None,
                            *, power: bool, moderation: bool) -> JobSettings:
    """The settings of a job by `user_id` in `guild_id` (0: direct messages), read once.
    Raises what the slices' rules raise (an unknown preset)."""
    layers = layers_rule(guild_id, user_id, preset) if power else None
    screen = screen_rule(guild_id, user_id) if moderation else None
    forbidden = forbidden_rule(guild_id)

    async def read(tx: Transaction) -> JobSettings:
        return JobSettings(
            layers=await layers(tx) if layers is not None else None,
            config=await credits_store.guild_config(tx, guild_id),
            channel_caps=await credits_store.channel_caps(tx, guild_id),
            forbidden=await forbidden(tx),
            screen=await screen(tx) if screen is not None else None,
            log_channel=bool(guild_id) and await admin_store.log_channel(tx, guild_id) is not None,
        )

    return await store.read(read)
