"""Shows a waiting member where the job is, in the private 'thinking' message."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import discord

from bot.i18n import Text, catalogue, render, tr
from bot.jobs.request import Progress
from bot.replies import edit_original
from cogs.common.job.cancel import cancel_view

log = logging.getLogger(__name__)

_NO_MENTIONS = discord.AllowedMentions.none()

# At most one edit per this many seconds per message (Discord allows ~5 per 5 s, and a
# burst of queued jobs would otherwise re-edit every queue position at each completion).
EDIT_INTERVAL = 4.0
# The edit that says a job is generating goes out at once (it ends "thinking", which the
# result needs ended), the next this long after it, then one every EDIT_INTERVAL: edits at
# 0, 6, 10, 14 s, as many for a job of any length as a first edit at 2 s and one every
# 4 s would make with the edit before the post.
SECOND_EDIT_AFTER = 6.0
# How long the job's next word waits for an edit already on its way, so that the older
# text cannot reach Discord after it; a slower edit is abandoned.
HALT_SECONDS = 2.0


class ProgressMessage:
    """Edits the deferred original response with the job's state, throttled; or, for one
    of several jobs of a command, its own private `message`, each text after `heading`."""

    def __init__(self, interaction: discord.Interaction[Any], model_label: str,
                 message: discord.WebhookMessage | None = None, heading: str = "") -> None:
        self._interaction = interaction
        self._message = message
        self._heading = heading
        self._lang = catalogue(interaction.locale)  # only the member reads it
        self._label = model_label
        self._state: Progress | None = None
        self._shown: str | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        # The Cancel button, shown from the first queued state until the job's last word.
        self._view: discord.ui.View | None = None
        self._view_shown: discord.ui.View | None = None

    async def update(self, progress: Progress) -> None:
        """Called by the job on every change of state or queue position."""
        first = self._state is None
        leaves_queue = (progress.state == "generating" and self._state is not None
                        and self._state.state == "queued")
        self._state = progress
        if progress.state == "queued" and progress.job_id and self._view is None:
            self._view = cancel_view(progress.job_id, self._lang)
        if first and progress.state == "queued":
            await self._edit(self._text())  # a queue is worth saying at once
            self._ticker = asyncio.create_task(self._tick(EDIT_INTERVAL, EDIT_INTERVAL))
        elif self._ticker is None or leaves_queue:
            # Generating, or moved on from the queue: said at once, in the ticker, while
            # the provider works (the job does not wait for Discord's answer). The result
            # can go out as a message of its own only once "thinking" is over: ended
            # now, that edit is off the way between the image and the member (see
            # `before_posting`).
            self.stop()
            self._ticker = asyncio.create_task(self._tick(0.0, SECOND_EDIT_AFTER))

    def before_posting(self, text: str | Text) -> asyncio.Future[bool]:
        """Ends the 'thinking' state just before the result is posted, so that the public
        followup that comes next is a message of its own instead of replacing this private
        one. An edit made since (the queue, the job generating) has ended it already: then
        no request is spent on the way to the member's image (the last word, with its
        link, follows the post); one still on its way is waited for. Otherwise `text` is
        shown. Runs while the caller goes on (at once done when an edit has landed); its
        result is False if Discord refused the edit (then the result must not go out as
        a followup)."""
        if self._shown is not None and not self._lock.locked():
            self.stop()
            over = asyncio.get_running_loop().create_future()
            over.set_result(True)
            return over
        return asyncio.ensure_future(self._before_posting(text))

    async def _before_posting(self, text: str | Text) -> bool:
        await self.halt()
        if self._shown is not None:
            return True
        return await self.finish(text)

    async def finish(self, text: str | Text, view: discord.ui.View | None = None) -> bool:
        """Stops the updates and shows `text` (with `view`'s buttons) as the job's last
        word; False if Discord refused the edit."""
        await self.halt()
        # The job's last word: nothing left to cancel; a Try again button, perhaps.
        self._view = view
        return await self._edit(render(text, self._lang))

    async def halt(self) -> None:
        """Stops the updates once an edit on its way has landed (for up to HALT_SECONDS),
        so that nothing shown before reaches Discord after what is said next (the result,
        a failure, the last word)."""
        if not self._lock.locked():
            self.stop()
            return
        acquired = False
        try:
            async with asyncio.timeout(HALT_SECONDS):
                acquired = await self._lock.acquire()
        except TimeoutError:
            log.debug("progress edit abandoned after %.0f s", HALT_SECONDS)
        finally:
            self.stop()
            if acquired:
                self._lock.release()

    def stop(self) -> None:
        """Stops the updates at once (an edit on its way is abandoned)."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def _text(self) -> str:
        state = self._state
        if state is None or state.state == "queued":
            position = state.position if state else 1
            return tr("Queued at position {position} for {model}…", position=position,
                      model=self._label).render(self._lang)
        elapsed = int(time.monotonic() - state.started_at)
        return tr("Generating with {model}… {seconds} s", model=self._label,
                  seconds=elapsed).render(self._lang)

    async def _tick(self, delay: float, then: float) -> None:
        """Edits after `delay` s, again `then` s later, then every EDIT_INTERVAL s."""
        await asyncio.sleep(delay)
        await self._edit(self._text())
        await asyncio.sleep(then)
        while True:
            await self._edit(self._text())
            await asyncio.sleep(EDIT_INTERVAL)

    async def _edit(self, text: str) -> bool:
        async with self._lock:
            view_changes = self._view is not self._view_shown
            if text == self._shown and not view_changes:
                return True
            kwargs: dict[str, Any] = {}
            if view_changes:
                kwargs["view"] = self._view
            try:
                if self._message is not None:
                    await self._message.edit(content=f"{render(self._heading, self._lang)}: {text}",
                                             allowed_mentions=_NO_MENTIONS, **kwargs)
                else:
                    await edit_original(self._interaction, content=text, **kwargs)
            except discord.HTTPException as exc:
                log.debug("progress edit refused: %s", exc)
                return False
            self._shown = text
            self._view_shown = self._view
            return True
