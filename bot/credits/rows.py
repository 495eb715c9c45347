"""The rows of credits and jobs: small frozen dataclasses, one per table shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    """Where a job is. The first three are unfinished; the last two are final."""

    QUEUED = "queued"
    GENERATING = "generating"
    POSTING = "posting"
    SETTLED = "settled"
    REFUNDED = "refunded"


UNFINISHED: tuple[JobStatus, ...] = (JobStatus.QUEUED, JobStatus.GENERATING, JobStatus.POSTING)

ALLOWANCE = "allowance"
BONUS = "bonus"


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """A server's own settings; None means "the operator's default"."""

    guild_id: int
    allowance: int | None = None
    period_hours: int | None = None
    daily_budget: int | None = None
    safety_cap: int | None = None
    default_model: str | None = None


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member's credit state in one server, as stored.

    `spent` is the allowance spent in the period starting at `period_start` (epoch
    seconds); once that period is over the stored figures describe a past period.
    """

    guild_id: int
    user_id: int
    period_start: int
    spent: int
    bonus: int


@dataclass(frozen=True, slots=True)
class Job:
    """One image request, from its reservation to its settlement or refund."""

    id: str
    guild_id: int  # 0 for direct messages
    channel_id: int
    user_id: int
    model: str
    prompt: str
    options: Mapping[str, Any]
    seed: int
    cost: int
    allowance_part: int
    bonus_part: int
    budget_day: str  # the UTC day (YYYY-MM-DD) whose server budget it counts against
    period_start: int  # the member's allowance period it was charged to
    status: JobStatus
    provider: str | None
    message_id: int | None
    error: str | None
    created_at: float
    updated_at: float
    # The shard whose process recovers the job after a crash: its server's (DMs: 0).
    shard: int = 0
    # When its result was deleted (Delete): its buttons, selects and modals refuse since.
    deleted_at: float | None = None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One change of one balance bucket. `period_start` is set for allowance rows only."""

    guild_id: int
    user_id: int
    bucket: str  # ALLOWANCE or BONUS
    delta: int
    reason: str
    job_id: str | None
    period_start: int | None
    actor_id: int | None
    created_at: float


@dataclass(frozen=True, slots=True)
class JobLedgerSum:
    """A job next to what the ledger says it moved, for the audit."""

    job_id: str
    status: JobStatus
    cost: int
    allowance_part: int
    bonus_part: int
    allowance_sum: int
    bonus_sum: int
    # Allowance rows of the job recorded against a period other than the job's own.
    misfiled_rows: int
