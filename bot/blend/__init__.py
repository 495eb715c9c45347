"""/blend: one FLUX.2 [pro] image from a prompt and up to 8 reference images."""

from __future__ import annotations

from bot.blend.references import (
    MAX_REFERENCES,
    MODEL,
    check_attachment,
    gather,
)

__all__ = ["MAX_REFERENCES", "MODEL", "check_attachment", "gather"]
