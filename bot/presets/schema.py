"""Presets' tables, written once for both engines."""

from __future__ import annotations

from bot.storage.migrations import Migration

# Members' own defaults in a server: preferences and named presets (JSON option maps).
PRESETS = Migration("""
CREATE TABLE preferences (
    guild_id   {int64} NOT NULL,
    user_id    {int64} NOT NULL,
    prefs      TEXT NOT NULL,
    updated_at {time} NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE presets (
    guild_id   {int64} NOT NULL,
    user_id    {int64} NOT NULL,
    name_key   TEXT NOT NULL,
    name       TEXT NOT NULL,
    options    TEXT NOT NULL,
    created_at {time} NOT NULL,
    PRIMARY KEY (guild_id, user_id, name_key)
);
""")

# The tables a copy to another engine fills, in the order it must fill them.
TABLES: tuple[str, ...] = ("preferences", "presets")
