"""Power users' own defaults: preferences, presets and the prompts they used before."""

from __future__ import annotations

from bot.power.service import MAX_PRESETS, Power

__all__ = ["MAX_PRESETS", "Power"]
