"""Continuity across restarts: resumes jobs whose provider job was stored, tells the
members of refunded ones, looks for the images of interrupted uploads while the bot runs
(every POSTING_CHECK_SECONDS, and when Discord answers again), and purges kept inputs
past INPUT_RETENTION_DAYS."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands, tasks

from bot.client import report_error
from bot.credits.rows import Job
from bot.jobs.resume import StoredImage, posting_settle
from bot.observers import Outcome
from bot.recovery import Refund
from bot.replies import defer_private
from cogs.common.admin_log import report_budget
from cogs.common.component import JobChecked
from cogs.common.job.result import result_view, run_job, stored_request
from cogs.common.job.resume import (
    expired_text,
    not_posted_text,
    refunded_text,
    resume,
    tell_refunded,
    tell_settled,
)
from cogs.common.job.try_again import TEMPLATE, try_again_button
from cogs.continuity.confirm import CancelKept, ConfirmKept

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)


class Continuity(commands.Cog):
    """The Discord side of start-up recovery (bot.recovery's hooks)."""

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        self._resuming: set[asyncio.Task[None]] = set()
        self._check_now = asyncio.Event()
        self._checker: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(TryAgainButton, ConfirmKept, CancelKept)
        self.bot.recovery.attach(self)
        self.prune.start()
        self._checker = asyncio.create_task(self._check_posting(), name="posting check")

    async def cog_unload(self) -> None:
        self.prune.cancel()
        if self._checker is not None:
            self._checker.cancel()
        for task in self._resuming:
            task.cancel()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        """Discord answers again after an outage: uploads it cut are judged at once."""
        self._check_now.set()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """A new session after a lost one (the first is start-up recovery's)."""
        if self.bot.recovered.is_set():
            self._check_now.set()

    async def _check_posting(self) -> None:
        """Every POSTING_CHECK_SECONDS, or at once when asked, once start-up recovery has
        run: the jobs left posting by an unanswered upload are settled or refunded."""
        await self.bot.recovered.wait()
        try:
            await self.bot.services.continuity.note_recovery(self.bot.recovery.result.describe())
        except Exception:
            log.warning("could not record the start-up recovery", exc_info=True)
        interval = self.bot.services.settings.POSTING_CHECK_SECONDS
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._check_now.wait(), interval)
            self._check_now.clear()
            if self.bot.services.jobs.draining:
                return  # stopping: what is left posting now is the next start's
            try:
                await self.bot.recovery.check_posting(settle=posting_settle(interval))
            except Exception:  # the next round tries again
                log.exception("checking the jobs left posting failed")

    @tasks.loop(hours=6)
    async def prune(self) -> None:
        """Drops input images past INPUT_RETENTION_DAYS, and replies no restart needs."""
        try:
            await self.bot.services.continuity.prune()
        except Exception:
            log.exception("pruning kept inputs failed")

    async def stored(self, job: Job) -> Sequence[StoredImage]:
        """The stored provider job of `job`, when it can be resumed."""
        return await self.bot.services.continuity.stored_images(job.id)

    def resume(self, job: Job, stored: Sequence[StoredImage]) -> None:
        """Finishes `job` in the background; a failure refunds it."""
        task = asyncio.create_task(self._resume(job, stored), name=f"resume {job.id}")
        self._resuming.add(task)
        task.add_done_callback(self._resuming.discard)

    async def _resume(self, job: Job, stored: Sequence[StoredImage]) -> None:
        try:
            await resume(self.bot, job, stored, partial(result_view, self.bot))
        except Exception:
            # Left as it is: the next start recovers it (finds the post, or resumes).
            log.exception("resuming job %s failed", job.id)

    def running(self, job_id: str) -> bool:
        """True while this process runs or resumes the job."""
        return self.bot.services.jobs.running(job_id)

    async def refunded(self, job: Job, why: Refund) -> None:
        """Tells the member that their job was refunded, and why; counted as a live
        refund is."""
        self.bot.services.jobs.ended(Outcome.REFUNDED, job.model, job.provider or "", 0.0, 0)
        if why is Refund.EXPIRED:
            stored = await self.stored(job)
            provider = stored[0].submission.provider if stored else job.provider or ""
            text = expired_text(job.cost, provider)
        elif why is Refund.NOT_POSTED:
            text = not_posted_text(job.cost)
        else:
            text = refunded_text(job.cost)
        await tell_refunded(self.bot, job, text)

    async def settled(self, job: Job, message_id: int) -> None:
        """A job whose image recovery found in its channel: its member told, counted, and
        the day's budget reported, as after a live job."""
        self.bot.services.jobs.ended(Outcome.POSTED, job.model, job.provider or "", 0.0,
                                     job.cost)
        await tell_settled(self.bot, job, message_id)
        await report_budget(self.bot, job.guild_id)


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
