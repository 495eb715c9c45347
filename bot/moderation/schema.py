"""The moderation tables (SPEC section 7), written once for both engines.

A server's own blocklist entries, the strikes with the prompt that earned them, each
member's pardon and block, the appeals and who decided them, and the review channel.
A strike keeps the request it refused (model, options, place) as JSON, so an approved
appeal can run that job once.
"""

from __future__ import annotations

from bot.storage.migrations import Migration

MODERATION = Migration("""
CREATE TABLE blocklist_entries (
    guild_id   {int64} NOT NULL,
    key        TEXT NOT NULL,
    entry      TEXT NOT NULL,
    added_by   {int64},
    created_at {time} NOT NULL,
    PRIMARY KEY (guild_id, key)
){without_rowid};

CREATE TABLE strikes (
    id         TEXT PRIMARY KEY,
    guild_id   {int64} NOT NULL,
    user_id    {int64} NOT NULL,
    channel_id {int64} NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('blocklist', 'provider')),
    reason     TEXT NOT NULL,
    prompt     TEXT NOT NULL,
    request    TEXT NOT NULL DEFAULT '{}',
    created_at {time} NOT NULL
);
CREATE INDEX strikes_member ON strikes (guild_id, user_id, created_at);

-- A pardon clears the strikes before pardoned_at; a block stands until it is removed.
CREATE TABLE member_standing (
    guild_id     {int64} NOT NULL,
    user_id      {int64} NOT NULL,
    pardoned_at  {time},
    blocked_at   {time},
    block_reason TEXT,
    blocked_by   {int64},
    PRIMARY KEY (guild_id, user_id)
){without_rowid};

-- One appeal per strike; it keeps a copy of the strike, which an approval deletes.
CREATE TABLE appeals (
    strike_id         TEXT PRIMARY KEY,
    guild_id          {int64} NOT NULL,
    user_id           {int64} NOT NULL,
    channel_id        {int64} NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('blocklist', 'provider')),
    reason            TEXT NOT NULL,
    prompt            TEXT NOT NULL,
    request           TEXT NOT NULL DEFAULT '{}',
    state             TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by        {int64},
    review_message_id {int64},
    created_at        {time} NOT NULL,
    decided_at        {time}
);
CREATE INDEX appeals_member ON appeals (guild_id, user_id, created_at);

CREATE TABLE moderation_config (
    guild_id          {int64} PRIMARY KEY,
    review_channel_id {int64}
);
""")

# The tables a copy to another engine fills, in the order it must fill them.
TABLES: tuple[str, ...] = (
    "blocklist_entries", "strikes", "member_standing", "appeals", "moderation_config")
