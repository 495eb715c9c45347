"""The statements of server administration, as part of the `Transaction` seam: each
engine's transaction implements them in its own `*_admin` module."""

from __future__ import annotations

from typing import Protocol

from bot.storage._rows import LedgerEntry
from bot.storage.admin_rows import JobCount, LogChannel, ReportRow, RoleTier

# The tables these statements use, in the order a copy must fill them.
ADMIN_TABLES: dict[str, tuple[str, ...]] = {
    "role_tiers": ("guild_id", "role_id", "allowance", "period_hours"),
    "forbidden_models": ("guild_id", "model"),
    "log_channels": ("guild_id", "channel_id", "set_by", "warned"),
    "admin_alerts": ("guild_id", "day", "level"),
}


class AdminTransaction(Protocol):
    """Server administration's statements inside one open transaction."""

    async def role_tiers(self, guild_id: int) -> list[RoleTier]:
        """The server's role tiers."""

    async def set_role_tier(self, tier: RoleTier) -> None:
        """Inserts or replaces a role's tier."""

    async def remove_role_tier(self, guild_id: int, role_id: int) -> bool:
        """Removes a role's tier; False when it had none."""

    async def forbidden_models(self, guild_id: int) -> set[str]:
        """The models the server forbids."""

    async def set_model_forbidden(self, guild_id: int, model: str, forbidden: bool) -> None:
        """Forbids a model in the server, or allows it again."""

    async def log_channel(self, guild_id: int) -> LogChannel | None:
        """The server's log channel, if it has one."""

    async def set_log_channel(self, guild_id: int, channel_id: int | None, set_by: int
                              ) -> None:
        """Sets (None: removes) the server's log channel; a new one is not warned yet."""

    async def mark_log_warned(self, guild_id: int, channel_id: int) -> bool:
        """Records that the admin was told about this log channel; False if they already
        were (or the channel changed meanwhile)."""

    async def claim_alert(self, guild_id: int, day: str, level: int) -> bool:
        """True the first time (guild, day, level) is claimed, in any process."""

    async def ledger_page(self, guild_id: int, user_id: int, offset: int, limit: int
                          ) -> tuple[int, list[LedgerEntry]]:
        """How many ledger rows the member has, and `limit` of them from `offset`,
        newest first."""

    async def report_rows(self, guild_id: int, since: float, user_id: int | None,
                          after_id: int, limit: int) -> list[ReportRow]:
        """Up to `limit` ledger rows of the server from `since` (of one member if given),
        with ids above `after_id`, in id order: one page of a report."""

    async def job_counts(self, guild_id: int, since: float, user_id: int | None
                         ) -> list[JobCount]:
        """The server's jobs from `since`, counted per member, model and status."""
