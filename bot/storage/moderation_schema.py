"""The moderation tables (SPEC section 7), as one migration per engine.

A server's own blocklist entries, the strikes with the prompt that earned them, each
member's pardon and block, the appeals and who decided them, and the review channel.
A strike keeps the request it refused (model, options, place) as JSON, so an approved
appeal can run that job once.
"""

from __future__ import annotations

SQLITE = """
CREATE TABLE blocklist_entries (
    guild_id   INTEGER NOT NULL,
    key        TEXT NOT NULL,
    entry      TEXT NOT NULL,
    added_by   INTEGER,
    created_at REAL NOT NULL,
    PRIMARY KEY (guild_id, key)
) WITHOUT ROWID;

CREATE TABLE strikes (
    id         TEXT PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('blocklist', 'provider')),
    reason     TEXT NOT NULL,
    prompt     TEXT NOT NULL,
    request    TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE INDEX strikes_member ON strikes (guild_id, user_id, created_at);

-- A pardon clears the strikes before pardoned_at; a block stands until it is removed.
CREATE TABLE member_standing (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    pardoned_at  REAL,
    blocked_at   REAL,
    block_reason TEXT,
    blocked_by   INTEGER,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- One appeal per strike; it keeps a copy of the strike, which an approval deletes.
CREATE TABLE appeals (
    strike_id         TEXT PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    user_id           INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('blocklist', 'provider')),
    reason            TEXT NOT NULL,
    prompt            TEXT NOT NULL,
    request           TEXT NOT NULL DEFAULT '{}',
    state             TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by        INTEGER,
    review_message_id INTEGER,
    created_at        REAL NOT NULL,
    decided_at        REAL
);
CREATE INDEX appeals_member ON appeals (guild_id, user_id, created_at);

CREATE TABLE moderation_config (
    guild_id          INTEGER PRIMARY KEY,
    review_channel_id INTEGER
);
"""

POSTGRES = """
CREATE TABLE blocklist_entries (
    guild_id   BIGINT NOT NULL,
    key        TEXT NOT NULL,
    entry      TEXT NOT NULL,
    added_by   BIGINT,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (guild_id, key)
);

CREATE TABLE strikes (
    id         TEXT PRIMARY KEY,
    guild_id   BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    channel_id BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('blocklist', 'provider')),
    reason     TEXT NOT NULL,
    prompt     TEXT NOT NULL,
    request    TEXT NOT NULL DEFAULT '{}',
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX strikes_member ON strikes (guild_id, user_id, created_at);

CREATE TABLE member_standing (
    guild_id     BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    pardoned_at  DOUBLE PRECISION,
    blocked_at   DOUBLE PRECISION,
    block_reason TEXT,
    blocked_by   BIGINT,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE appeals (
    strike_id         TEXT PRIMARY KEY,
    guild_id          BIGINT NOT NULL,
    user_id           BIGINT NOT NULL,
    channel_id        BIGINT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('blocklist', 'provider')),
    reason            TEXT NOT NULL,
    prompt            TEXT NOT NULL,
    request           TEXT NOT NULL DEFAULT '{}',
    state             TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by        BIGINT,
    review_message_id BIGINT,
    created_at        DOUBLE PRECISION NOT NULL,
    decided_at        DOUBLE PRECISION
);
CREATE INDEX appeals_member ON appeals (guild_id, user_id, created_at);

CREATE TABLE moderation_config (
    guild_id          BIGINT PRIMARY KEY,
    review_channel_id BIGINT
);
"""

# Column orders for copying a database to another engine (`TABLES` in bot.storage.base).
TABLES: dict[str, tuple[str, ...]] = {
    "blocklist_entries": ("guild_id", "key", "entry", "added_by", "created_at"),
    "strikes": ("id", "guild_id", "user_id", "channel_id", "kind", "reason", "prompt",
                "request", "created_at"),
    "member_standing": ("guild_id", "user_id", "pardoned_at", "blocked_at", "block_reason",
                        "blocked_by"),
    "appeals": ("strike_id", "guild_id", "user_id", "channel_id", "kind", "reason", "prompt",
                "request", "state", "decided_by", "review_message_id", "created_at",
                "decided_at"),
    "moderation_config": ("guild_id", "review_channel_id"),
}
