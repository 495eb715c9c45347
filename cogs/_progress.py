"""Shows a waiting member where the job is, in the private 'thinking' message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import discord

from bot.jobs import Progress

log = logging.getLogger(__name__)

# Discord lets a webhook edit about 5 times per 5 s; one edit every few seconds is polite.
MIN_EDIT_INTERVAL = 2.0
TICK = 5.0


class ProgressMessage:
    """Edits the deferred original response with the job's state, throttled."""

    def __init__(self, interaction: discord.Interaction[Any], model_label: str) -> None:
        self._interaction = interaction
        self._label = model_label
        self._state = Progress("queued", 1)
        self._last_edit = 0.0
        self._edited = False
        self._ticker: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def update(self, progress: Progress) -> None:
        """Called by the job on every change of state."""
        changed = progress.state != self._state.state
        self._state = progress
        if progress.state == "generating" and self._ticker is None:
            self._ticker = asyncio.create_task(self._tick())
        await self._edit(force=changed)

    async def ensure_answered(self) -> None:
        """Edits the original at least once, so that it stops 'thinking' and the next
        followup becomes a message of its own (public) instead of replacing it."""
        if not self._edited:
            await self._edit(force=True, text="Posting your image…")

    async def finish(self, text: str) -> None:
        self.stop()
        await self._edit(force=True, text=text)

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def _text(self) -> str:
        if self._state.state == "queued":
            return f"Queued at position {self._state.position} for {self._label}…"
        elapsed = int(time.monotonic() - self._state.started_at)
        return f"Generating with {self._label}… {elapsed} s"

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            await self._edit(force=False)

    async def _edit(self, *, force: bool, text: str | None = None) -> None:
        async with self._lock:
            now = time.monotonic()
            if not force and now - self._last_edit < MIN_EDIT_INTERVAL:
                return
            self._last_edit = now
            with contextlib.suppress(discord.HTTPException):
                await self._interaction.edit_original_response(content=text or self._text())
                self._edited = True
