"""Keeping secrets out of text: one rule for the log filter and the provider errors."""

from __future__ import annotations

from collections.abc import Iterable


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by `***` (empty secrets are skipped)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
