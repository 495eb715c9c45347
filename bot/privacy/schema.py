"""Privacy's table, written once for both engines."""

from __future__ import annotations

from bot.storage.migrations import Migration

# Each server's own retention of prompts and job details, in days (none: the operator's
# MAX_RETENTION_DAYS).
RETENTION = Migration("""
CREATE TABLE retention (
    guild_id {int64} PRIMARY KEY,
    days     INTEGER NOT NULL CHECK (days >= 1)
);
""")

# The tables a copy to another engine fills, in the order it must fill them.
TABLES: tuple[str, ...] = ("retention",)
