"""The one declaration of /imagine's options that Discord checks: the ranges (the widest
over every model; each model's own is checked after) and the choices, shared by /imagine,
/preset save and /edit."""

from __future__ import annotations

from discord import app_commands

from bot.catalogue import RATIOS, discord_range

_STEPS, _GUIDANCE = discord_range("steps"), discord_range("guidance")
_WIDTH, _STRENGTH = discord_range("width"), discord_range("prompt_strength")
_QUALITY, _SAFETY = discord_range("output_quality"), discord_range("safety_tolerance")
STEPS_MIN, STEPS_MAX = int(_STEPS.min or 1), int(_STEPS.max or 50)
GUIDANCE_MIN, GUIDANCE_MAX = float(_GUIDANCE.min or 0), float(_GUIDANCE.max or 50)
SIDE_MIN, SIDE_MAX = int(_WIDTH.min or 256), int(_WIDTH.max or 1440)
STRENGTH_MIN, STRENGTH_MAX = float(_STRENGTH.min or 0), float(_STRENGTH.max or 1)
QUALITY_MIN, QUALITY_MAX = int(_QUALITY.min or 0), int(_QUALITY.max or 100)
SAFETY_MIN, SAFETY_MAX = int(_SAFETY.min or 1), int(_SAFETY.max or 6)

RATIO_CHOICES = [app_commands.Choice(name=r, value=r) for r in (*RATIOS, "custom")]
FORMAT_CHOICES = [
    app_commands.Choice(name=f, value=f) for f in discord_range("output_format").choices
]
MEGAPIXEL_CHOICES = [
    app_commands.Choice(name=f"{mp} MP", value=mp) for mp in discord_range("megapixels").choices
]
