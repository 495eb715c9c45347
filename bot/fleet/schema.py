"""The fleet's column, written once for both engines."""

from __future__ import annotations

from bot.storage.migrations import Migration

# The shard a job belongs to: after a crash, only the process running that shard
# recovers it. Jobs from before shards were recorded belong to shard 0.
SHARDS = Migration("""
ALTER TABLE jobs ADD COLUMN shard INTEGER NOT NULL DEFAULT 0 CHECK (shard >= 0);
""")
