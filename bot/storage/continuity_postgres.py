"""PostgreSQL's statements for resuming jobs and keeping their inputs (mixed into
`PostgresTransaction`): the same statements as `continuity_sqlite`."""

from __future__ import annotations

from bot.storage.continuity_base import ResumeRow, StoredInput
from bot.storage.postgres_held import HeldWrites

_RESUME = ("job_id, application_id, interaction_token, token_expires_at, provider, "
           "provider_job_id, poll_url")


def _count(status: str) -> int:
    """The row count of a command status such as 'DELETE 2'."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresContinuityStatements:
    """The continuity statements, on the transaction's asyncpg connection."""

    __slots__ = ()
    _conn: HeldWrites

    async def set_reply(self, job_id: str, application_id: int, token: str,
                        expires_at: float, now: float) -> None:
        await self._conn.execute(
            "INSERT INTO job_resume (job_id, application_id, interaction_token, "
            "token_expires_at, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) "
            "DO UPDATE SET application_id = excluded.application_id, "
            "interaction_token = excluded.interaction_token, "
            "token_expires_at = excluded.token_expires_at",
            job_id, application_id, token, expires_at, now)

    async def set_submitted(self, job_id: str, provider: str, provider_job_id: str,
                            poll_url: str | None, now: float) -> None:
        await self._conn.execute(
            "INSERT INTO job_resume (job_id, provider, provider_job_id, poll_url, created_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) DO UPDATE SET "
            "provider = excluded.provider, provider_job_id = excluded.provider_job_id, "
            "poll_url = excluded.poll_url",
            job_id, provider, provider_job_id, poll_url, now)

    async def resume_row(self, job_id: str) -> ResumeRow | None:
        row = await self._conn.fetchrow(
            f"SELECT {_RESUME} FROM job_resume WHERE job_id = $1", job_id)
        return ResumeRow(*row) if row else None

    async def keep_input(self, kept: StoredInput, now: float) -> None:
        await self._conn.execute(
            "INSERT INTO job_inputs (job_id, filename, content_type, data, created_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) DO UPDATE SET "
            "filename = excluded.filename, content_type = excluded.content_type, "
            "data = excluded.data, created_at = excluded.created_at",
            kept.job_id, kept.filename, kept.content_type, kept.data, now)

    async def stored_input(self, job_id: str) -> StoredInput | None:
        row = await self._conn.fetchrow(
            "SELECT job_id, filename, content_type, data FROM job_inputs WHERE job_id = $1",
            job_id)
        return StoredInput(row[0], row[1], row[2], bytes(row[3])) if row else None

    async def drop_input(self, job_id: str) -> bool:
        return _count(await self._conn.execute(
            "DELETE FROM job_inputs WHERE job_id = $1", job_id)) > 0

    async def prune_continuity(self, inputs_before: float, replies_before: float) -> int:
        inputs = _count(await self._conn.execute(
            "DELETE FROM job_inputs WHERE created_at < $1", inputs_before))
        replies = _count(await self._conn.execute(
            "DELETE FROM job_resume WHERE created_at < $1", replies_before))
        return inputs + replies
