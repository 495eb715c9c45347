"""What storage keeps so a job survives a restart: how to answer its member (the
interaction's application id and token, a secret), the provider's job once submitted, and
the member's input image. The typed rows and the statements both engines offer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

TABLES: dict[str, tuple[str, ...]] = {
    "job_resume": ("job_id", "application_id", "interaction_token", "token_expires_at",
                   "provider", "provider_job_id", "poll_url", "created_at"),
    "job_inputs": ("job_id", "filename", "content_type", "data", "created_at"),
}


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


class ContinuityStatements(Protocol):
    """The statements for resuming jobs and keeping their inputs."""

    async def set_reply(self, job_id: str, application_id: int, token: str,
                        expires_at: float, now: float) -> None:
        """Records how to answer the job's member through their interaction."""

    async def set_submitted(self, job_id: str, provider: str, provider_job_id: str,
                            poll_url: str | None, now: float) -> None:
        """Records the provider's job id (and where to poll it) for the job."""

    async def resume_row(self, job_id: str) -> ResumeRow | None:
        """The job's reply and provider job, or None."""

    async def keep_input(self, kept: StoredInput, now: float) -> None:
        """Keeps a job's input image (replacing one kept before for the job)."""

    async def stored_input(self, job_id: str) -> StoredInput | None:
        """The job's kept input image, or None (never kept, or retention dropped it)."""

    async def drop_input(self, job_id: str) -> bool:
        """Drops the job's kept input image; True when there was one."""

    async def prune_continuity(self, inputs_before: float, replies_before: float) -> int:
        """Drops input images kept since before `inputs_before` and reply rows older
        than `replies_before`; returns how many rows were dropped."""
