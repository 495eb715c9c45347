"""Server administration (SPEC sections 2 and 3): role tiers, forbidden models, the log
channel and its alerts, the operator's ceilings, a member's ledger history and the
credit report."""

from __future__ import annotations

from bot.admin.server import CeilingExceeded, ModelForbidden, ServerAdmin

__all__ = ["CeilingExceeded", "ModelForbidden", "ServerAdmin"]
