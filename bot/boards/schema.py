"""The moodboards' tables (SPEC section 9), written once for both engines."""

from __future__ import annotations

from bot.storage.migrations import Migration

# Boards, their items, result files kept for Add to board, and the index /history
# reads a member's jobs by.
BOARDS = Migration("""
CREATE TABLE boards (
    id           TEXT PRIMARY KEY,
    guild_id     {int64} NOT NULL,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    channel_id   {int64} NOT NULL,
    thread_id    {int64} NOT NULL,
    thread_state TEXT NOT NULL CHECK (thread_state IN ('active', 'archived', 'deleted')),
    style        TEXT NOT NULL DEFAULT '{}',
    next_number  INTEGER NOT NULL DEFAULT 1,
    created_by   {int64} NOT NULL,
    created_at   {time} NOT NULL,
    last_used_at {time} NOT NULL,
    UNIQUE (guild_id, name_key)
);
CREATE INDEX boards_thread ON boards (thread_id);

-- image: the full file, to upload again (NULL once retention dropped it).
CREATE TABLE board_items (
    board_id   TEXT NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    job_id     TEXT NOT NULL,
    image_hash TEXT NOT NULL,
    prompt     TEXT NOT NULL,
    model      TEXT NOT NULL,
    seed       {int64},
    author_id  {int64} NOT NULL,
    added_by   {int64} NOT NULL,
    link       TEXT NOT NULL,
    message_id {int64},
    filename   TEXT NOT NULL,
    image      {bytes},
    thumbnail  {bytes} NOT NULL,
    added_at   {time} NOT NULL,
    PRIMARY KEY (board_id, number),
    UNIQUE (board_id, image_hash)
);
CREATE INDEX board_items_age ON board_items (added_at) WHERE image IS NOT NULL;

CREATE TABLE kept_results (
    job_id     TEXT PRIMARY KEY,
    filename   TEXT NOT NULL,
    data       {bytes} NOT NULL,
    created_at {time} NOT NULL
);
CREATE INDEX kept_results_age ON kept_results (created_at);

CREATE INDEX jobs_member ON jobs (guild_id, user_id, created_at);
""")

# Footprint (SPEC section 12): posted images are read back from Discord when needed, so
# the result files and board items' full files kept so far go; SQLite then gives the space
# back (PostgreSQL reuses it itself, and DROP TABLE frees its file at once).
FOOTPRINT = Migration("""
DROP TABLE kept_results;
DROP INDEX board_items_age;
UPDATE board_items SET image = NULL WHERE image IS NOT NULL;
""", reclaims_space=True)

# The tables a copy to another engine fills, in the order it must fill them.
TABLES: tuple[str, ...] = ("boards", "board_items")
