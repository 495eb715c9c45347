"""Credits' tables, written once for both engines (`bot.storage.migrations` maps the
types): per-server settings, members' allowances, the jobs, the ledger of every change
of a balance, the daily budget spent, and the key-value meta table. Append a new
migration, never edit one that has shipped."""

from __future__ import annotations

from bot.storage.migrations import Migration

# The first schema version.
CREDITS = Migration("""
-- Per-server settings; NULL means the operator's default.
CREATE TABLE guild_config (
    guild_id      {int64} PRIMARY KEY,
    allowance     INTEGER CHECK (allowance >= 0),
    period_hours  INTEGER CHECK (period_hours >= 1),
    daily_budget  INTEGER CHECK (daily_budget >= 0),
    safety_cap    INTEGER CHECK (safety_cap BETWEEN 1 AND 6),
    default_model TEXT
);

CREATE TABLE channel_safety (
    guild_id   {int64} NOT NULL,
    channel_id {int64} NOT NULL,
    cap        INTEGER NOT NULL CHECK (cap BETWEEN 1 AND 6),
    PRIMARY KEY (guild_id, channel_id)
){without_rowid};

-- A member's allowance spent in the period that starts at period_start, and bonus.
CREATE TABLE members (
    guild_id     {int64} NOT NULL,
    user_id      {int64} NOT NULL,
    period_start {int64} NOT NULL,
    spent        INTEGER NOT NULL DEFAULT 0 CHECK (spent >= 0),
    bonus        INTEGER NOT NULL DEFAULT 0 CHECK (bonus >= 0),
    PRIMARY KEY (guild_id, user_id)
){without_rowid};

CREATE TABLE jobs (
    id             TEXT PRIMARY KEY,
    guild_id       {int64} NOT NULL,
    channel_id     {int64} NOT NULL,
    user_id        {int64} NOT NULL,
    model          TEXT NOT NULL,
    prompt         TEXT NOT NULL,
    options        TEXT NOT NULL DEFAULT '{}',
    seed           {int64} NOT NULL,
    cost           INTEGER NOT NULL CHECK (cost >= 0),
    allowance_part INTEGER NOT NULL CHECK (allowance_part >= 0),
    bonus_part     INTEGER NOT NULL CHECK (bonus_part >= 0),
    budget_day     TEXT NOT NULL,
    period_start   {int64} NOT NULL,
    status         TEXT NOT NULL CHECK (status IN
                       ('queued', 'generating', 'posting', 'settled', 'refunded')),
    provider       TEXT,
    message_id     {int64},
    error          TEXT,
    created_at     {time} NOT NULL,
    updated_at     {time} NOT NULL,
    CHECK (allowance_part + bonus_part = cost)
);
-- What a crash left behind is found without a scan. (Not `status IN (...)`: SQLite
-- evaluates an IN list in an index's WHERE through a temporary table on every write,
-- which made each settle ten times slower.)
CREATE INDEX jobs_unfinished ON jobs (created_at)
    WHERE status <> 'settled' AND status <> 'refunded';

-- Every change of a balance. period_start: the allowance period an allowance row counts in.
CREATE TABLE ledger (
    id           {serial},
    guild_id     {int64} NOT NULL,
    user_id      {int64} NOT NULL,
    bucket       TEXT NOT NULL CHECK (bucket IN ('allowance', 'bonus')),
    delta        INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    job_id       TEXT REFERENCES jobs (id),
    period_start {int64},
    actor_id     {int64},
    created_at   {time} NOT NULL,
    CHECK ((bucket = 'allowance') = (period_start IS NOT NULL))
);
CREATE INDEX ledger_member ON ledger (guild_id, user_id, created_at);
CREATE INDEX ledger_job ON ledger (job_id) WHERE job_id IS NOT NULL;

-- Credits reserved per server and UTC day (YYYY-MM-DD), against the daily budget.
CREATE TABLE budget_spend (
    guild_id {int64} NOT NULL,
    day      TEXT NOT NULL,
    spent    INTEGER NOT NULL CHECK (spent >= 0),
    PRIMARY KEY (guild_id, day)
){without_rowid};

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
){without_rowid};
""")

# When a member or moderator deleted the job's result: every button of it refuses since.
DELETED = Migration("""
ALTER TABLE jobs ADD COLUMN deleted_at {time};
""")

# The tables a copy to another engine fills, in the order it must fill them.
TABLES: tuple[str, ...] = (
    "guild_config", "channel_safety", "members", "jobs", "ledger", "budget_spend", "meta")
