"""Which shards a process runs, and the shard a guild (so a job) belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings


def shard_of(guild_id: int, shard_count: int | None) -> int:
    """The shard Discord sends a guild's events to; direct messages (guild 0) and a bot
    without SHARD_COUNT (one process runs every shard) use shard 0."""
    if not shard_count or not guild_id:
        return 0
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class ShardSet:
    """The shards one process runs: `ids` of `count`, or every shard when `ids` is None."""

    ids: frozenset[int] | None = None
    count: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> ShardSet:
        """SHARD_IDS of SHARD_COUNT; without SHARD_IDS the process runs them all."""
        ids = frozenset(settings.SHARD_IDS) if settings.SHARD_IDS is not None else None
        return cls(ids, settings.SHARD_COUNT or 1)

    @property
    def every_shard(self) -> bool:
        return self.ids is None

    def owns(self, shard: int) -> bool:
        """Whether a job recorded for `shard` is this process's to recover.

        A job recorded under a larger SHARD_COUNT than today's names a shard no process
        runs any more; shard 0's process takes those, so none is left behind.
        """
        if self.ids is None:
            return True
        return shard in self.ids or (0 in self.ids and shard >= self.count)

    def describe(self) -> str:
        if self.ids is None:
            return "every shard"
        return f"shards {', '.join(map(str, sorted(self.ids)))} of {self.count}"
