"""A member's own data (SPEC section 13): what fluxcord keeps about them, as one export,
and its erasure at their request; and each server's retention of prompts."""

from __future__ import annotations

from bot.privacy.export import ExportFile, build_export, fit_export
from bot.privacy.service import Privacy

__all__ = ["ExportFile", "Privacy", "build_export", "fit_export"]
