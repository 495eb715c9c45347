"""Start-up recovery: settle or refund every job a crash left in flight.

A job is only ever settled once its image is in the channel. A job that crashed while
posting may or may not have reached Discord, so the channel is asked: a result message
carries the job id in its buttons' custom_ids. It is looked for from the job's creation
onwards, however busy the channel has been since.

It runs in two steps. Before the bot connects (so before any new job can exist), the
unfinished jobs are read once: those that never got to posting are refunded at once.
Once the bot is ready (so it knows its channels and permissions), the channels of the
posting ones are searched. A channel the bot cannot read leaves its job reserved for the
next start, with a warning for the operator; after `GIVE_UP_AFTER` it is refunded.

Each process recovers the jobs of the shards it holds and no other: another process's job
may be generating right now.

With hooks (attached by the Discord side, `Recovery.attach`), a job whose provider job
is stored is resumed instead of refunded (polled, downloaded, posted, settled once), and
the member of a refunded job is told, with a Try again button.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import discord

from bot.credits.rows import JobStatus
from bot.fleet import ShardSet

if TYPE_CHECKING:
    from bot.credits import Credits
    from bot.credits.records import JobRecords
    from bot.credits.rows import Job
    from bot.providers.base import Submission

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 24 * 3600.0
# The result is posted within minutes of the job's last change; clocks may differ a bit.
CLOCK_SLACK = 60.0
POST_WINDOW = 3600.0


class ChannelUnreadable(Exception):
    """The bot cannot read the channel's history now (no access, or Discord failing)."""


@dataclass(slots=True)
class Recovered:
    settled: int = 0
    refunded: int = 0
    kept: int = 0  # left reserved for the next start: their channel could not be read
    resumed: int = 0  # handed back to their provider job, to finish in the background


class RecoveryHooks(Protocol):
    """What the Discord side does for recovery: resume a job, tell a member."""

    async def submission(self, job: Job) -> Submission | None:
        """The provider job to poll instead of refunding, or None."""

    def resume(self, job: Job, submission: Submission) -> None:
        """Starts finishing the job in the background (it settles or refunds itself)."""

    async def refunded(self, job: Job) -> None:
        """Tells the member that their job was refunded by the restart."""


class Recovery:
    """Recovers the jobs a previous run of the bot left unfinished."""

    def __init__(
        self, client: discord.Client, credits: Credits, records: JobRecords,
        clock: Callable[[], float] = time.time,
        *,
        shards: ShardSet | None = None,
    ) -> None:
        self._client = client
        self._shards = shards or ShardSet()
        self._credits = credits
        self._records = records
        self._clock = clock
        self._posting: list[Job] = []
        self._resume: list[tuple[Job, Submission]] = []
        self._told: list[Job] = []
        self._hooks: RecoveryHooks | None = None
        self.result = Recovered()

    def attach(self, hooks: RecoveryHooks | None) -> None:
        """Resumes and tells members through `hooks` from now on (None: refunds only)."""
        self._hooks = hooks

    async def before_connect(self) -> None:
        """Refunds the jobs that never reached posting; keeps the others for `after_ready`."""
        for job in await self._records.unfinished_jobs():
            if not self._shards.owns(job.shard):
                continue  # another process's, perhaps still running
            if job.status == JobStatus.POSTING:
                self._posting.append(job)
            elif (submission := await self._submission(job)) is not None:
                self._resume.append((job, submission))
            else:
                await self._refund(job, "interrupted by a restart")

    async def after_ready(self) -> Recovered:
        """Settles each posting job whose image is in its channel and refunds the rest."""
        jobs, self._posting = self._posting, []
        for job in jobs:
            await self._recover_posting(job)
        told, self._told = self._told, []
        for job in told:
            try:
                if self._hooks is not None:
                    await self._hooks.refunded(job)
            except Exception:  # one member not told must not stop the others' recovery
                log.warning("could not tell member %s about job %s", job.user_id, job.id,
                            exc_info=True)
        resume, self._resume = self._resume, []
        for job, submission in resume:
            if self._hooks is not None:
                self._hooks.resume(job, submission)
                self.result.resumed += 1
        result = self.result
        if result.settled or result.refunded or result.kept or result.resumed:
            log.info("recovered jobs after a restart: %d settled, %d refunded, %d kept, "
                     "%d resumed", result.settled, result.refunded, result.kept,
                     result.resumed)
        return result

    async def _submission(self, job: Job) -> Submission | None:
        return await self._hooks.submission(job) if self._hooks is not None else None

    async def _refund(self, job: Job, reason: str) -> None:
        if await self._credits.refund(job.id, reason):
            self.result.refunded += 1
            self._told.append(job)

    async def _recover_posting(self, job: Job) -> None:
        try:
            message_id = await find_posted(self._client, job)
        except ChannelUnreadable as exc:
            if self._clock() - job.created_at < GIVE_UP_AFTER:
                log.warning(
                    "cannot read channel %s to tell whether job %s was delivered (%s); it "
                    "stays reserved, is checked again at the next start and refunded after "
                    "24 h. Give the bot View Channel and Read Message History there.",
                    job.channel_id, job.id, exc,
                )
                self.result.kept += 1
                return
            await self._refund(job, "its channel could not be read for 24 h after a restart")
            return
        if message_id is not None:
            if await self._credits.settle(job.id, message_id):
                self.result.settled += 1
        elif (submission := await self._submission(job)) is not None:
            # Never posted, but the provider still has the image: fetch and post it.
            self._resume.append((job, submission))
        else:
            await self._refund(job, "interrupted by a restart")


async def find_posted(client: discord.Client, job: Job) -> int | None:
    """The id of the result message of `job` in its channel, if it got there.

    Raises ChannelUnreadable when the channel cannot be searched. Discord answers an empty
    history, not an error, to a bot without Read Message History, so that is checked first.
    """
    channel = client.get_channel(job.channel_id)
    if isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        perms = channel.permissions_for(channel.guild.me)
        if not (perms.view_channel and perms.read_message_history):
            raise ChannelUnreadable("missing View Channel or Read Message History")
    messageable = client.get_partial_messageable(job.channel_id)
    after = discord.Object(discord.utils.time_snowflake(_utc(job.created_at - CLOCK_SLACK)))
    until = _utc(job.updated_at + POST_WINDOW)
    try:
        async for message in messageable.history(limit=None, after=after, oldest_first=True):
            if message.created_at > until:
                break
            if client.user is not None and message.author.id != client.user.id:
                continue
            if any(job.id in custom_id for custom_id in _custom_ids(message)):
                return message.id
    except discord.NotFound:
        return None  # the channel is gone, and the image with it
    except discord.HTTPException as exc:
        raise ChannelUnreadable(f"HTTP {exc.status}, code {exc.code}") from exc
    return None


def _utc(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)


def _custom_ids(message: discord.Message) -> list[str]:
    ids = []
    for row in message.components:
        for child in getattr(row, "children", []):
            custom_id = getattr(child, "custom_id", None)
            if custom_id:
                ids.append(custom_id)
    return ids
