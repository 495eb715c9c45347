"""Continuity across restarts: resumes jobs whose provider job was stored, tells the
members of refunded ones, and purges kept inputs past INPUT_RETENTION_DAYS."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands, tasks

from bot.client import report_error
from bot.credits.rows import Job
from bot.providers.base import Submission
from bot.replies import defer_private
from cogs.common.component import JobChecked
from cogs.common.job.result import result_view, run_job, stored_request
from cogs.common.job.resume import resume, tell_refunded
from cogs.common.job.try_again import TEMPLATE, try_again_button

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)


class Continuity(commands.Cog):
    """The Discord side of start-up recovery (bot.recovery's hooks)."""

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        self._resuming: set[asyncio.Task[None]] = set()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(TryAgainButton)
        self.bot.recovery.attach(self)
        self.prune.start()

    async def cog_unload(self) -> None:
        self.prune.cancel()
        for task in self._resuming:
            task.cancel()

    @tasks.loop(hours=6)
    async def prune(self) -> None:
        """Drops input images past INPUT_RETENTION_DAYS, and replies no restart needs."""
        try:
            await self.bot.services.continuity.prune()
        except Exception:
            log.exception("pruning kept inputs failed")

    async def submission(self, job: Job) -> Submission | None:
        """The stored provider job of `job`, when it can be resumed."""
        return await self.bot.services.continuity.submission(job.id)

    def resume(self, job: Job, submission: Submission) -> None:
        """Finishes `job` in the background; a failure refunds it."""
        task = asyncio.create_task(self._resume(job, submission), name=f"resume {job.id}")
        self._resuming.add(task)
        task.add_done_callback(self._resuming.discard)

    async def _resume(self, job: Job, submission: Submission) -> None:
        try:
            await resume(self.bot, job, submission, partial(result_view, self.bot))
        except Exception:
            # Left as it is: the next start recovers it (finds the post, or resumes).
            log.exception("resuming job %s failed", job.id)

    async def refunded(self, job: Job) -> None:
        """Tells the member that the restart refunded their job."""
        await tell_refunded(self.bot, job)


class TryAgainButton(JobChecked, discord.ui.DynamicItem[discord.ui.Button[Any]],
                     template=TEMPLATE):
    """Runs the job again with the same options and seed, as a new job charged to
    whoever clicks (as Reroll is)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(try_again_button(job_id))
        self.job_id = job_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        await defer_private(interaction)
        try:
            request = await stored_request(interaction, self.job_id, keep_seed=True)
            await run_job(interaction, request)
        except Exception as exc:
            await report_error(interaction, exc)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Continuity(bot))
