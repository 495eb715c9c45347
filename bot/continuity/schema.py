"""Continuity's tables, written once for both engines."""

from __future__ import annotations

from bot.storage.migrations import Migration

# How to answer a job's member and poll its provider job after a restart, and the
# member's input image, kept for a retention (the token is a secret).
CONTINUITY = Migration("""
CREATE TABLE job_resume (
    job_id            TEXT PRIMARY KEY,
    application_id    {int64},
    interaction_token TEXT,
    token_expires_at  {time},
    provider          TEXT,
    provider_job_id   TEXT,
    poll_url          TEXT,
    created_at        {time} NOT NULL
);
CREATE INDEX job_resume_age ON job_resume (created_at);

CREATE TABLE job_inputs (
    job_id       TEXT PRIMARY KEY,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         {bytes} NOT NULL,
    created_at   {time} NOT NULL
);
CREATE INDEX job_inputs_age ON job_inputs (created_at);
""")

# The tables a copy to another engine fills, in the order it must fill them.
TABLES: tuple[str, ...] = ("job_resume", "job_inputs")
