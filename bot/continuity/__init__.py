"""Jobs that survive a restart: what is kept so a job can be resumed or its member told,
and the member's input image, kept for Reroll, Edit and Try again."""

from __future__ import annotations

from bot.continuity.service import Continuity

__all__ = ["Continuity"]
