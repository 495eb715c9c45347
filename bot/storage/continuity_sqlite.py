"""SQLite's statements for resuming jobs and keeping their inputs (mixed into
`SqliteTransaction`; each runs at once and never suspends)."""

from __future__ import annotations

import sqlite3

from bot.storage.continuity_base import ResumeRow, StoredInput

_RESUME = ("job_id, application_id, interaction_token, token_expires_at, provider, "
           "provider_job_id, poll_url")


class SqliteContinuityStatements:
    """The continuity statements, on the transaction's sqlite3 connection."""

    __slots__ = ()
    _conn: sqlite3.Connection

    async def set_reply(self, job_id: str, application_id: int, token: str,
                        expires_at: float, now: float) -> None:
        self._conn.execute(
            "INSERT INTO job_resume (job_id, application_id, interaction_token, "
            "token_expires_at, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id) DO "
            "UPDATE SET application_id = excluded.application_id, "
            "interaction_token = excluded.interaction_token, "
            "token_expires_at = excluded.token_expires_at",
            (job_id, application_id, token, expires_at, now))

    async def set_submitted(self, job_id: str, provider: str, provider_job_id: str,
                            poll_url: str | None, now: float) -> None:
        self._conn.execute(
            "INSERT INTO job_resume (job_id, provider, provider_job_id, poll_url, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET "
            "provider = excluded.provider, provider_job_id = excluded.provider_job_id, "
            "poll_url = excluded.poll_url",
            (job_id, provider, provider_job_id, poll_url, now))

    async def resume_row(self, job_id: str) -> ResumeRow | None:
        row = self._conn.execute(
            f"SELECT {_RESUME} FROM job_resume WHERE job_id = ?", (job_id,)).fetchone()
        return ResumeRow(*row) if row else None

    async def keep_input(self, kept: StoredInput, now: float) -> None:
        self._conn.execute(
            "INSERT INTO job_inputs (job_id, filename, content_type, data, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET "
            "filename = excluded.filename, content_type = excluded.content_type, "
            "data = excluded.data, created_at = excluded.created_at",
            (kept.job_id, kept.filename, kept.content_type, kept.data, now))

    async def stored_input(self, job_id: str) -> StoredInput | None:
        row = self._conn.execute(
            "SELECT job_id, filename, content_type, data FROM job_inputs WHERE job_id = ?",
            (job_id,)).fetchone()
        return StoredInput(row[0], row[1], row[2], bytes(row[3])) if row else None

    async def drop_input(self, job_id: str) -> bool:
        return self._conn.execute(
            "DELETE FROM job_inputs WHERE job_id = ?", (job_id,)).rowcount > 0

    async def prune_continuity(self, inputs_before: float, replies_before: float) -> int:
        inputs = self._conn.execute(
            "DELETE FROM job_inputs WHERE created_at < ?", (inputs_before,)).rowcount
        replies = self._conn.execute(
            "DELETE FROM job_resume WHERE created_at < ?", (replies_before,)).rowcount
        return int(inputs + replies)
