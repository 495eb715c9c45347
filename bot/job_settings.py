"""What a job itself reads of its server's settings: the credits' server settings, the
channel caps, and whether a log channel takes the budget alerts.

The features a job reaches through its ports (bot/jobs/ports.py) declare their own reads;
the job runs them and this one in one transaction (one hop to SQLite's thread, one
PostgreSQL transaction) instead of one each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.credits import store as credits_store
from bot.credits.rows import GuildConfig
from bot.storage import Rule, Store, Transaction


@dataclass(frozen=True, slots=True)
class JobSettings:
    config: GuildConfig
    channel_caps: dict[int, int]
    # Whether the server has a log channel: without one, no budget alert is worked out.
    log_channel: bool = False


def job_settings_rule(guild_id: int, log_channel: Callable[[int], Rule[bool]] | None = None
                      ) -> Rule[JobSettings]:
    """The read of a job's own settings in `guild_id` (0: direct messages); `log_channel`
    reads whether the server has a log channel (not read without it)."""

    async def read(tx: Transaction) -> JobSettings:
        return JobSettings(
            config=await credits_store.guild_config(tx, guild_id),
            channel_caps=await credits_store.channel_caps(tx, guild_id),
            log_channel=(bool(guild_id) and log_channel is not None
                         and await log_channel(guild_id)(tx)),
        )

    return read


async def read_job_settings(store: Store, guild_id: int,
                            log_channel: Callable[[int], Rule[bool]] | None = None
                            ) -> JobSettings:
    """A job's own settings in `guild_id`, read on their own."""
    return await store.read(job_settings_rule(guild_id, log_channel))
