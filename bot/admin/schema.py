"""Server administration's tables, written once for both engines."""

from __future__ import annotations

from bot.storage.migrations import Migration

# Role tiers, forbidden models, the log channel, and which budget alerts were sent
# (once per server, day and level, whatever the number of processes).
ADMIN = Migration("""
CREATE TABLE role_tiers (
    guild_id     {int64} NOT NULL,
    role_id      {int64} NOT NULL,
    allowance    INTEGER NOT NULL CHECK (allowance >= 0),
    period_hours INTEGER CHECK (period_hours >= 1),
    PRIMARY KEY (guild_id, role_id)
){without_rowid};

CREATE TABLE forbidden_models (
    guild_id {int64} NOT NULL,
    model    TEXT NOT NULL,
    PRIMARY KEY (guild_id, model)
){without_rowid};

CREATE TABLE log_channels (
    guild_id   {int64} PRIMARY KEY,
    channel_id {int64} NOT NULL,
    set_by     {int64} NOT NULL,
    warned     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE admin_alerts (
    guild_id {int64} NOT NULL,
    day      TEXT NOT NULL,
    level    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, day, level)
){without_rowid};

-- A server's report reads its ledger in id order, page after page.
CREATE INDEX ledger_guild ON ledger (guild_id, id);
""")

# The language of what a server's members all see (/server language); none: English.
LANGUAGE = Migration("""
CREATE TABLE server_languages (
    guild_id {int64} PRIMARY KEY,
    locale   TEXT NOT NULL
);
""")

# The tables a copy to another engine fills, in the order it must fill them.
TABLES: tuple[str, ...] = ("role_tiers", "forbidden_models", "log_channels", "admin_alerts",
                           "server_languages")
