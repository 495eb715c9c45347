"""Members' own defaults: preferences, presets and the prompts they used before."""

from __future__ import annotations

from bot.presets.service import MAX_PRESETS, Presets

__all__ = ["MAX_PRESETS", "Presets"]
