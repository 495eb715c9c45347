"""What credits keep of their own: the role tiers (a role's own allowance). The rows, and
every statement, written once for both engines."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.base import Statements


@dataclass(frozen=True, slots=True)
class RoleTier:
    """A role's own allowance in a server (and its period, None: the server's)."""

    guild_id: int
    role_id: int
    allowance: int
    period_hours: int | None


async def role_tiers(tx: Statements, guild_id: int) -> list[RoleTier]:
    """The server's role tiers."""
    rows = await tx.fetch(
        "SELECT guild_id, role_id, allowance, period_hours FROM role_tiers "
        "WHERE guild_id = $1 ORDER BY allowance DESC, role_id", guild_id)
    return [RoleTier(*row) for row in rows]


async def set_role_tier(tx: Statements, tier: RoleTier) -> None:
    """Inserts or replaces a role's tier."""
    await tx.execute(
        "INSERT INTO role_tiers (guild_id, role_id, allowance, period_hours) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (guild_id, role_id) DO UPDATE SET "
        "allowance = excluded.allowance, period_hours = excluded.period_hours",
        tier.guild_id, tier.role_id, tier.allowance, tier.period_hours)


async def remove_role_tier(tx: Statements, guild_id: int, role_id: int) -> bool:
    """Removes a role's tier; False when it had none."""
    return await tx.execute(
        "DELETE FROM role_tiers WHERE guild_id = $1 AND role_id = $2", guild_id, role_id) == 1
