"""What storage keeps so a job survives a restart: how to answer its member (the
interaction's application id and token, a secret), the provider's job once submitted, and
the member's input image. The rows, and every statement, written once for both engines."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.base import Statements

_RESUME = ("job_id, application_id, interaction_token, token_expires_at, provider, "
           "provider_job_id, poll_url")


@dataclass(frozen=True, slots=True)
class ResumeRow:
    """How to reach a job's member and its provider job after a restart. The token is a
    secret: it never goes into a log line or a message."""

    job_id: str
    application_id: int | None
    interaction_token: str | None
    token_expires_at: float | None
    provider: str | None
    provider_job_id: str | None
    poll_url: str | None

    def __repr__(self) -> str:  # the token stays out of any repr that reaches a log
        return (f"ResumeRow(job_id={self.job_id!r}, provider={self.provider!r}, "
                f"provider_job_id={self.provider_job_id!r})")


@dataclass(frozen=True, slots=True)
class StoredInput:
    """A job's input image, as the member uploaded it (at most the input limit)."""

    job_id: str
    filename: str
    content_type: str
    data: bytes


async def set_reply(tx: Statements, job_id: str, application_id: int, token: str,
                    expires_at: float, now: float) -> None:
    """Records how to answer the job's member through their interaction (held back, on
    PostgreSQL, to go with the reservation's own writes in one statement)."""
    await tx.defer(
        ("job_resume", job_id),
        "INSERT INTO job_resume (job_id, application_id, interaction_token, "
        "token_expires_at, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) "
        "DO UPDATE SET application_id = excluded.application_id, "
        "interaction_token = excluded.interaction_token, "
        "token_expires_at = excluded.token_expires_at",
        job_id, application_id, token, expires_at, now)


async def set_submitted(tx: Statements, job_id: str, provider: str, provider_job_id: str,
                        poll_url: str | None, now: float) -> None:
    """Records the provider's job id (and where to poll it) for the job."""
    await tx.execute(
        "INSERT INTO job_resume (job_id, provider, provider_job_id, poll_url, created_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) DO UPDATE SET "
        "provider = excluded.provider, provider_job_id = excluded.provider_job_id, "
        "poll_url = excluded.poll_url",
        job_id, provider, provider_job_id, poll_url, now)


async def resume_row(tx: Statements, job_id: str) -> ResumeRow | None:
    """The job's reply and provider job, or None."""
    row = await tx.fetchrow(
        f"SELECT {_RESUME} FROM job_resume WHERE job_id = $1", job_id)
    return ResumeRow(*row) if row else None


@dataclass(frozen=True, slots=True)
class ImageRow:
    """One image's provider job, of a job of several images."""

    image: int
    seed: int
    unit_cost: int
    provider: str
    provider_job_id: str
    poll_url: str | None


async def set_image_submitted(tx: Statements, job_id: str, row: ImageRow, now: float) -> None:
    """Records the provider's job of one image of a job of several."""
    await tx.execute(
        "INSERT INTO job_images (job_id, image, seed, unit_cost, provider, provider_job_id, "
        "poll_url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (job_id, image) DO UPDATE SET seed = excluded.seed, "
        "unit_cost = excluded.unit_cost, provider = excluded.provider, "
        "provider_job_id = excluded.provider_job_id, poll_url = excluded.poll_url",
        job_id, row.image, row.seed, row.unit_cost, row.provider, row.provider_job_id,
        row.poll_url, now)


async def image_rows(tx: Statements, job_id: str) -> list[ImageRow]:
    """The stored provider jobs of the job's images, in image order."""
    rows = await tx.fetch(
        "SELECT image, seed, unit_cost, provider, provider_job_id, poll_url FROM job_images "
        "WHERE job_id = $1 ORDER BY image", job_id)
    return [ImageRow(*row) for row in rows]


async def keep_input(tx: Statements, kept: StoredInput, now: float) -> None:
    """Keeps a job's input image (replacing one kept before for the job); held back like
    the reply."""
    await tx.defer(
        ("job_inputs", kept.job_id),
        "INSERT INTO job_inputs (job_id, filename, content_type, data, created_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) DO UPDATE SET "
        "filename = excluded.filename, content_type = excluded.content_type, "
        "data = excluded.data, created_at = excluded.created_at",
        kept.job_id, kept.filename, kept.content_type, kept.data, now)


async def stored_input(tx: Statements, job_id: str) -> StoredInput | None:
    """The job's kept input image, or None (never kept, or retention dropped it)."""
    row = await tx.fetchrow(
        "SELECT job_id, filename, content_type, data FROM job_inputs WHERE job_id = $1",
        job_id)
    return StoredInput(row[0], row[1], row[2], bytes(row[3])) if row else None


async def drop_input(tx: Statements, job_id: str) -> bool:
    """Drops the job's kept input image; True when there was one."""
    return await tx.execute(
        "DELETE FROM job_inputs WHERE job_id = $1", job_id) > 0


async def prune_continuity(tx: Statements, inputs_before: float, replies_before: float) -> int:
    """Drops input images kept since before `inputs_before` and reply rows older
    than `replies_before`; returns how many rows were dropped."""
    inputs = await tx.execute(
        "DELETE FROM job_inputs WHERE created_at < $1", inputs_before)
    replies = await tx.execute(
        "DELETE FROM job_resume WHERE created_at < $1", replies_before)
    images = await tx.execute(
        "DELETE FROM job_images WHERE created_at < $1", replies_before)
    return inputs + replies + images
