"""The rows of server administration: role tiers, forbidden models, the log channel and
the rows a credit report is built from. Plain frozen dataclasses, like `_rows`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RoleTier:
    """A role's own allowance in a server (and its period, None: the server's)."""

    guild_id: int
    role_id: int
    allowance: int
    period_hours: int | None


@dataclass(frozen=True, slots=True)
class LogChannel:
    """Where a server's admin events go, who chose it, and whether that admin has been told
    the bot may not post there."""

    guild_id: int
    channel_id: int
    set_by: int
    warned: bool


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One ledger row of a credit report, with its job's model."""

    id: int
    created_at: float
    user_id: int
    delta: int
    bucket: str
    reason: str
    job_id: str | None
    model: str | None


@dataclass(frozen=True, slots=True)
class JobCount:
    """Jobs of one member and model with one outcome, and what they cost."""

    user_id: int
    model: str
    status: str
    jobs: int
    cost: int
