"""Role tiers: a member's allowance is the highest of the server's and the tiers of the
roles they hold at the moment they generate (or ask for their balance)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from bot.credits._terms import CreditDefaults, ServerSettings
from bot.credits.rows import GuildConfig
from bot.credits.store import RoleTier


def best_tier(tiers: list[RoleTier], role_ids: Collection[int]) -> RoleTier | None:
    """The held role's tier with the largest allowance (the lowest role id on a tie, so
    the choice is stable), or None when no held role has one."""
    held = [t for t in tiers if t.role_id in role_ids]
    return max(held, key=lambda t: (t.allowance, -t.role_id), default=None)


def apply_tier(terms: ServerSettings, tier: RoleTier | None) -> ServerSettings:
    """The terms in force for a member with `tier`: its allowance (and period) when it
    gives more than the server's allowance."""
    if tier is None or tier.allowance <= terms.allowance:
        return terms
    return replace(terms, allowance=tier.allowance,
                   period_hours=tier.period_hours or terms.period_hours)


def terms_of(config: GuildConfig, tiers: list[RoleTier], defaults: CreditDefaults,
             role_ids: Collection[int]) -> tuple[ServerSettings, RoleTier | None]:
    """The server's terms as they apply to a member holding `role_ids`, and the tier that
    applies (None: the server's allowance), from its settings and role tiers as read."""
    terms = ServerSettings.resolve(config, defaults)
    if not role_ids:
        return terms, None
    tier = best_tier(tiers, role_ids)
    if tier is None or tier.allowance <= terms.allowance:
        return terms, None
    return apply_tier(terms, tier), tier
