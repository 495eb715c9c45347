"""Permutations: `{a, b, c}` groups in a prompt make one job per combination (SPEC
section 2, `/imagine`). The rules live here; the command side is in cogs/imagine."""

from __future__ import annotations

from bot.permutations.parse import PermutationError, Template, Variant, check_jobs, parse

__all__ = ["PermutationError", "Template", "Variant", "check_jobs", "parse"]
