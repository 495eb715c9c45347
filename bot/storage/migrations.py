"""The schema, as ordered migrations; the version applied is kept in PRAGMA user_version.

Append new migrations at the end and never edit one that has shipped: a database at
version N runs exactly the scripts after the N-th, all in one transaction.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence

from bot.storage import moderation_schema

log = logging.getLogger(__name__)


class SchemaError(Exception):
    """The database file cannot be used with this version of the bot."""


_V1 = """
-- Per-server settings; NULL means the operator's default.
CREATE TABLE guild_config (
    guild_id      INTEGER PRIMARY KEY,
    allowance     INTEGER CHECK (allowance >= 0),
    period_hours  INTEGER CHECK (period_hours >= 1),
    daily_budget  INTEGER CHECK (daily_budget >= 0),
    safety_cap    INTEGER CHECK (safety_cap BETWEEN 1 AND 6),
    default_model TEXT
);

CREATE TABLE channel_safety (
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    cap        INTEGER NOT NULL CHECK (cap BETWEEN 1 AND 6),
    PRIMARY KEY (guild_id, channel_id)
) WITHOUT ROWID;

-- A member's allowance spent in the period that starts at period_start, and bonus.
CREATE TABLE members (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    period_start INTEGER NOT NULL,
    spent        INTEGER NOT NULL DEFAULT 0 CHECK (spent >= 0),
    bonus        INTEGER NOT NULL DEFAULT 0 CHECK (bonus >= 0),
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

CREATE TABLE jobs (
    id             TEXT PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    model          TEXT NOT NULL,
    prompt         TEXT NOT NULL,
    options        TEXT NOT NULL DEFAULT '{}',
    seed           INTEGER NOT NULL,
    cost           INTEGER NOT NULL CHECK (cost >= 0),
    allowance_part INTEGER NOT NULL CHECK (allowance_part >= 0),
    bonus_part     INTEGER NOT NULL CHECK (bonus_part >= 0),
    budget_day     TEXT NOT NULL,
    period_start   INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN
                       ('queued', 'generating', 'posting', 'settled', 'refunded')),
    provider       TEXT,
    message_id     INTEGER,
    error          TEXT,
    created_at     REAL NOT NULL,
    updated_at     REAL NOT NULL,
    CHECK (allowance_part + bonus_part = cost)
);
-- What a crash left behind is found without a scan. (Not `status IN (...)`: SQLite
-- evaluates an IN list in an index's WHERE through a temporary table on every write,
-- which made each settle ten times slower.)
CREATE INDEX jobs_unfinished ON jobs (created_at)
    WHERE status <> 'settled' AND status <> 'refunded';

-- Every change of a balance. period_start: the allowance period an allowance row counts in.
CREATE TABLE ledger (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    bucket       TEXT NOT NULL CHECK (bucket IN ('allowance', 'bonus')),
    delta        INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    job_id       TEXT REFERENCES jobs (id),
    period_start INTEGER,
    actor_id     INTEGER,
    created_at   REAL NOT NULL,
    CHECK ((bucket = 'allowance') = (period_start IS NOT NULL))
);
CREATE INDEX ledger_member ON ledger (guild_id, user_id, created_at);
CREATE INDEX ledger_job ON ledger (job_id) WHERE job_id IS NOT NULL;

-- Credits reserved per server and UTC day (YYYY-MM-DD), against the daily budget.
CREATE TABLE budget_spend (
    guild_id INTEGER NOT NULL,
    day      TEXT NOT NULL,
    spent    INTEGER NOT NULL CHECK (spent >= 0),
    PRIMARY KEY (guild_id, day)
) WITHOUT ROWID;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""

# Moodboards (SPEC section 9): boards, their items, result files kept for Add to board,
# and the index /history reads a member's jobs by.
_BOARDS = """
CREATE TABLE boards (
    id           TEXT PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    channel_id   INTEGER NOT NULL,
    thread_id    INTEGER NOT NULL,
    thread_state TEXT NOT NULL CHECK (thread_state IN ('active', 'archived', 'deleted')),
    style        TEXT NOT NULL DEFAULT '{}',
    next_number  INTEGER NOT NULL DEFAULT 1,
    created_by   INTEGER NOT NULL,
    created_at   REAL NOT NULL,
    last_used_at REAL NOT NULL,
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
    seed       INTEGER,
    author_id  INTEGER NOT NULL,
    added_by   INTEGER NOT NULL,
    link       TEXT NOT NULL,
    message_id INTEGER,
    filename   TEXT NOT NULL,
    image      BLOB,
    thumbnail  BLOB NOT NULL,
    added_at   REAL NOT NULL,
    PRIMARY KEY (board_id, number),
    UNIQUE (board_id, image_hash)
);
CREATE INDEX board_items_age ON board_items (added_at) WHERE image IS NOT NULL;

CREATE TABLE kept_results (
    job_id     TEXT PRIMARY KEY,
    filename   TEXT NOT NULL,
    data       BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX kept_results_age ON kept_results (created_at);

CREATE INDEX jobs_member ON jobs (guild_id, user_id, created_at);
"""

# Server administration: role tiers, forbidden models, the log channel, and which budget
# alerts were sent (once per server, day and level, whatever the number of processes).
_ADMIN = """
CREATE TABLE role_tiers (
    guild_id     INTEGER NOT NULL,
    role_id      INTEGER NOT NULL,
    allowance    INTEGER NOT NULL CHECK (allowance >= 0),
    period_hours INTEGER CHECK (period_hours >= 1),
    PRIMARY KEY (guild_id, role_id)
) WITHOUT ROWID;

CREATE TABLE forbidden_models (
    guild_id INTEGER NOT NULL,
    model    TEXT NOT NULL,
    PRIMARY KEY (guild_id, model)
) WITHOUT ROWID;

CREATE TABLE log_channels (
    guild_id   INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    set_by     INTEGER NOT NULL,
    warned     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE admin_alerts (
    guild_id INTEGER NOT NULL,
    day      TEXT NOT NULL,
    level    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, day, level)
) WITHOUT ROWID;

-- A server's report reads its ledger in id order, page after page.
CREATE INDEX ledger_guild ON ledger (guild_id, id);
"""

# The shard a job belongs to: after a crash, only the process running that shard
# recovers it. Jobs from before shards were recorded belong to shard 0.
_SHARDS = """
ALTER TABLE jobs ADD COLUMN shard INTEGER NOT NULL DEFAULT 0 CHECK (shard >= 0);
"""

# Continuity: how to answer a job's member and poll its provider job after a restart,
# and the member's input image, kept for a retention (the token is a secret).
_CONTINUITY = """
CREATE TABLE job_resume (
    job_id            TEXT PRIMARY KEY,
    application_id    INTEGER,
    interaction_token TEXT,
    token_expires_at  REAL,
    provider          TEXT,
    provider_job_id   TEXT,
    poll_url          TEXT,
    created_at        REAL NOT NULL
);
CREATE INDEX job_resume_age ON job_resume (created_at);

CREATE TABLE job_inputs (
    job_id       TEXT PRIMARY KEY,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    created_at   REAL NOT NULL
);
CREATE INDEX job_inputs_age ON job_inputs (created_at);
"""

# Members' own defaults in a server: preferences and named presets (JSON option maps).
_POWER = """
CREATE TABLE preferences (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    prefs      TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE presets (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    name_key   TEXT NOT NULL,
    name       TEXT NOT NULL,
    options    TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (guild_id, user_id, name_key)
);
"""

# Footprint (SPEC section 12): posted images are read back from Discord when needed, so
# the result files and board items' full files kept so far go (`vacuum_if_dropped` then
# gives SQLite the space back).
_FOOTPRINT = """
DROP TABLE kept_results;
DROP INDEX board_items_age;
UPDATE board_items SET image = NULL WHERE image IS NOT NULL;
"""

# When a member or moderator deleted the job's result: every button of it refuses since.
_DELETED = """
ALTER TABLE jobs ADD COLUMN deleted_at REAL;
"""

# Each server's own retention of prompts and job details, in days (none: the operator's
# MAX_RETENTION_DAYS).
_RETENTION = """
CREATE TABLE retention (
    guild_id INTEGER PRIMARY KEY,
    days     INTEGER NOT NULL CHECK (days >= 1)
);
"""

MIGRATIONS: tuple[str, ...] = (
    _V1, moderation_schema.SQLITE, _BOARDS, _ADMIN, _SHARDS, _CONTINUITY,
    _POWER, _FOOTPRINT, _DELETED, _RETENTION
)
# The migration that drops kept image files, numbered from 1 like user_version.
DROPS_FILES = MIGRATIONS.index(_FOOTPRINT) + 1


def statements(script: str) -> Iterator[str]:
    """The statements of a script, one at a time (triggers and quoted `;` included)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip() and not all(
        not ln.strip() or ln.strip().startswith("--") for ln in pending.splitlines()
    ):
        raise SchemaError(f"incomplete SQL statement at the end of a migration: {pending!r}")


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Brings the schema up to date in one transaction; returns how many migrations ran.

    `conn` must be in autocommit mode (isolation_level None). BEGIN IMMEDIATE takes the
    write lock before the version is read, so two processes opening one fresh file do
    not both migrate it.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version > len(migrations):
            raise SchemaError(
                f"the database is at schema version {version}, newer than this bot "
                f"knows ({len(migrations)}); upgrade the bot"
            )
        for number, script in enumerate(migrations[version:], start=version + 1):
            log.info("applying database migration %d", number)
            for statement in statements(script):
                conn.execute(statement)
        # PRAGMA takes no parameters; the value is an int we computed.
        conn.execute(f"PRAGMA user_version = {len(migrations):d}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(migrations) - version


def holds_files(conn: sqlite3.Connection) -> bool:
    """Whether a database still at a version before DROPS_FILES keeps image files that
    migrating will drop (then worth a VACUUM after it)."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if not MIGRATIONS.index(_BOARDS) < version < DROPS_FILES:
        return False
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM kept_results) "
        "OR EXISTS (SELECT 1 FROM board_items WHERE image IS NOT NULL)").fetchone()
    return bool(row[0])


def vacuum(conn: sqlite3.Connection) -> None:
    """Gives the file the space of dropped rows back (VACUUM runs outside a transaction
    and rewrites the file; the pages of dropped files would otherwise stay, unused)."""
    before = _file_bytes(conn)
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    log.info("database compacted after dropping kept image files: %d -> %d bytes",
             before, _file_bytes(conn))


def _file_bytes(conn: sqlite3.Connection) -> int:
    (pages,) = conn.execute("PRAGMA page_count").fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    return int(pages) * int(size)
