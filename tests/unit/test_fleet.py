"""The shard a job belongs to, and which jobs a process's shards make its own."""

from __future__ import annotations

from bot.fleet import ShardSet, shard_of
from bot.settings import Settings


def test_a_job_belongs_to_its_servers_shard_and_direct_messages_to_shard_0() -> None:
    guild = (123 << 22) | 4567  # the shard is in the id's timestamp bits
    assert shard_of(guild, 4) == 123 % 4
    assert shard_of(0, 4) == 0  # a direct message
    assert shard_of(guild, None) == 0  # one process runs every shard


def test_a_process_owns_its_shards_and_shard_0_also_the_shards_that_are_gone() -> None:
    settings = Settings(_env_file=None, DISCORD_TOKEN="t",  # type: ignore[call-arg]
                        SHARD_COUNT=4, SHARD_IDS="0,2")
    ours = ShardSet.from_settings(settings)
    assert [ours.owns(shard) for shard in range(4)] == [True, False, True, False]
    assert ours.owns(5)  # recorded when SHARD_COUNT was larger: no process runs shard 5
    assert not ShardSet(frozenset({1}), 4).owns(5)
    everything = ShardSet.from_settings(Settings(_env_file=None, DISCORD_TOKEN="t"))  # type: ignore[call-arg]
    assert everything.every_shard and all(everything.owns(shard) for shard in range(8))
