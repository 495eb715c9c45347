"""A job's private progress message: how many edits it asks of Discord, and that an edit
on its way neither races nor holds up what the job says next.

The message is a real ProgressMessage over a private message of its own (as one job of
several has); only the message's `edit` is a stand-in, which notes each edit and can be
made to take its time. The intervals are shortened where a test waits for them.
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.jobs.request import Progress
from cogs.common.job import progress as progress_module
from cogs.common.job.progress import ProgressMessage

JOB = "0123456789abcdef0123456789abcdef"


class NotedMessage:
    """A private message whose edits are noted; each takes `seconds`."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.edits: list[str] = []

    async def edit(self, *, content: str, **_: Any) -> None:
        await asyncio.sleep(self.seconds)
        self.edits.append(content)


def _progress(message: NotedMessage) -> ProgressMessage:
    interaction: Any = SimpleNamespace(locale=discord.Locale.american_english)
    return ProgressMessage(interaction, "FLUX.1 [dev]", message=message)  # type: ignore[arg-type]


def _generating() -> Progress:
    return Progress("generating", started_at=time.monotonic(), job_id=JOB)


async def test_a_queue_that_moves_at_once_is_edited_once_until_the_interval_is_up() -> None:
    message = NotedMessage()
    progress = _progress(message)
    await progress.update(Progress("queued", 3, job_id=JOB))
    await progress.update(Progress("queued", 2, job_id=JOB))  # moved during that edit
    await asyncio.sleep(0.2)
    assert [e.split(": ", 1)[1] for e in message.edits] == [
        "Queued at position 3 for FLUX.1 [dev]…"]
    await progress.update(_generating())  # leaving the queue is said at once
    await asyncio.sleep(0.2)
    assert message.edits[-1].startswith(": Generating with FLUX.1 [dev]")
    assert len(message.edits) == 2
    await progress.finish("Done.")


async def test_a_job_generating_between_two_ticks_is_edited_once_before_its_post(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Edits at 0 s and SECOND_EDIT_AFTER: a job done in between costs one edit before
    # its post (it ends "thinking") and its last word, as many as ever.
    monkeypatch.setattr(progress_module, "SECOND_EDIT_AFTER", 3.0)
    monkeypatch.setattr(progress_module, "EDIT_INTERVAL", 1.0)
    message = NotedMessage()
    progress = _progress(message)
    await progress.update(_generating())
    await asyncio.sleep(1.5)  # past one EDIT_INTERVAL, short of SECOND_EDIT_AFTER
    assert await progress.before_posting("Done: your image is in the channel.")
    await progress.finish("Done: here.")
    assert len(message.edits) == 2, message.edits
    assert message.edits[0].startswith(": Generating with") and message.edits[1] == ": Done: here."


async def test_an_edit_on_its_way_lands_before_the_next_word() -> None:
    message = NotedMessage(seconds=0.3)
    progress = _progress(message)
    await progress.update(_generating())
    await asyncio.sleep(0.05)  # the "Generating" edit is on its way
    assert await progress.before_posting("Done: your image is in the channel.")
    assert len(message.edits) == 1 and message.edits[0].startswith(": Generating with")
    await progress.finish("Done: here.")
    assert message.edits[-1] == ": Done: here."


async def test_a_hung_edit_holds_the_next_word_up_for_a_moment_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress_module, "HALT_SECONDS", 0.2)
    message = NotedMessage(seconds=30.0)
    progress = _progress(message)
    await progress.update(_generating())
    await asyncio.sleep(0.05)  # the "Generating" edit hangs
    message.seconds = 0.0
    # The hung edit is abandoned after HALT_SECONDS; the last word is said.
    assert await asyncio.wait_for(progress.finish("Refunded."), 5.0)
    assert message.edits == [": Refunded."]
