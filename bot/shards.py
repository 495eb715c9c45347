"""Which shards this process runs, what discord.py caches for them, and how fast they log in.

Discord lets a bot start `max_concurrency` sessions per 5 seconds: shard `n` identifies in
bucket `n % max_concurrency`, one identify per bucket per window (GET /gateway/bot says how
many buckets the bot has). discord.py launches the shards one after another and, left to
itself, sleeps 5 s before every identify but the first whatever the bot's buckets are;
`IdentifyPacer` waits only as long as the shard's own bucket requires.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

IDENTIFY_WINDOW = 5.0
# Discord counts the window from when the identify arrives, we from when it is sent.
IDENTIFY_MARGIN = 0.25


def client_options(settings: Settings) -> dict[str, Any]:
    """The discord.py client options for the operator's shards and a flat memory per server.

    The bot answers interactions, which carry the member and channel they come from, so it
    needs only the guilds intent: no member list, no presence, no message cache, no member
    chunking at start. What is cached then is each server's channels and roles.
    """
    return {
        "intents": discord.Intents(guilds=True),
        "member_cache_flags": discord.MemberCacheFlags.none(),
        "max_messages": None,
        "chunk_guilds_at_startup": False,
        "shard_count": settings.SHARD_COUNT,
        "shard_ids": list(settings.SHARD_IDS) if settings.SHARD_IDS is not None else None,
    }


class IdentifyPacer:
    """Spaces the identifies of the shards of one process by Discord's max_concurrency."""

    def __init__(
        self, max_concurrency: int = 1, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_concurrency = max(1, max_concurrency)
        self._clock = clock
        self._last: dict[int, float] = {}

    def delay(self, shard_id: int) -> float:
        """Seconds shard `shard_id` must still wait before it may identify."""
        last = self._last.get(shard_id % self.max_concurrency)
        if last is None:
            return 0.0
        return max(0.0, last + IDENTIFY_WINDOW + IDENTIFY_MARGIN - self._clock())

    async def wait(self, shard_id: int) -> None:
        """Books the shard's next turn in its bucket, then waits for it."""
        delay = self.delay(shard_id)
        # Booked before sleeping, so a second shard of the same bucket queues behind it.
        self._last[shard_id % self.max_concurrency] = self._clock() + delay
        if delay:
            await asyncio.sleep(delay)


async def identify_pacer_for(client: discord.AutoShardedClient) -> IdentifyPacer:
    """A pacer for Discord's max_concurrency, read from GET /gateway/bot.

    Should Discord not answer, the shards log in one per window, which is always allowed.
    """
    try:
        limits = await client.fetch_session_start_limits()
    except (discord.GatewayNotFound, discord.HTTPException) as exc:
        log.warning("could not read Discord's session start limits (%s); "
                    "logging the shards in one at a time", exc)
        return IdentifyPacer()
    shards = len(client.shard_ids or ()) or client.shard_count or 1
    if limits.remaining < shards:
        log.warning(
            "Discord allows %d more session starts today (of %d) for %d shards; "
            "the rest will wait %.0f minutes",
            limits.remaining, limits.total, shards, limits.reset_after / 60_000,
        )
    log.info("shards log in %d at a time (Discord's max_concurrency)", limits.max_concurrency)
    return IdentifyPacer(limits.max_concurrency)
