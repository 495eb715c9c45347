"""Several bot processes on one database: which shards a process owns, the locks that
make it their only runner, and work that must happen once across all of them.

A guild lives on one shard, `(guild_id >> 22) % SHARD_COUNT` (direct messages on shard 0),
and a shard runs in exactly one process. So whatever is kept per guild in memory (the
fair queue, the member limits) stays right in the process that owns the guild, and a
job belongs to the shard of its guild: that process alone recovers it after a crash.
"""

from __future__ import annotations

from bot.fleet.claim import Fleet, ShardTaken, alone, hold_shards
from bot.fleet.shardset import ShardSet, shard_of

__all__ = ["Fleet", "ShardSet", "ShardTaken", "alone", "hold_shards", "shard_of"]
