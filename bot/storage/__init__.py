"""Storage: the only place with SQL. One aiosqlite connection, ordered migrations."""

from __future__ import annotations

from bot.storage._rows import (
    ALLOWANCE,
    BONUS,
    UNFINISHED,
    GuildConfig,
    Job,
    JobLedgerSum,
    JobStatus,
    LedgerEntry,
    MemberRow,
)
from bot.storage._tx import Transaction
from bot.storage.db import Database
from bot.storage.migrations import MIGRATIONS, SchemaError

__all__ = [
    "ALLOWANCE",
    "BONUS",
    "MIGRATIONS",
    "UNFINISHED",
    "Database",
    "GuildConfig",
    "Job",
    "JobLedgerSum",
    "JobStatus",
    "LedgerEntry",
    "MemberRow",
    "SchemaError",
    "Transaction",
]
