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

# Each image's provider job of a job of several images (`count`), with its seed and
# what one image costs, so a restart resumes every one and refunds exactly the lost ones;
# and each open Confirm question with the request it would run, until it expires.
IMAGES = Migration("""
CREATE TABLE job_images (
    job_id          TEXT NOT NULL,
    image           INTEGER NOT NULL,
    seed            {int64} NOT NULL,
    unit_cost       INTEGER NOT NULL,
    provider        TEXT NOT NULL,
    provider_job_id TEXT NOT NULL,
    poll_url        TEXT,
    created_at      {time} NOT NULL,
    PRIMARY KEY (job_id, image)
);
CREATE INDEX job_images_age ON job_images (created_at);

CREATE TABLE open_questions (
    question_id TEXT PRIMARY KEY,
    guild_id    {int64} NOT NULL,
    user_id     {int64} NOT NULL,
    request     TEXT NOT NULL,
    expires_at  {time} NOT NULL
);
CREATE INDEX open_questions_expiry ON open_questions (expires_at);
""")

# The tables a copy to another engine fills, in the order it must fill them.
TABLES: tuple[str, ...] = ("job_resume", "job_inputs", "job_images", "open_questions")
