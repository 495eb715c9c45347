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
is stored is resumed instead of refunded (polled, downloaded, posted, settled once), unless
the bot was down longer than that provider keeps a job; the member of a refunded job is
told, with a Try again button, and each settlement and refund is reported as a live one is.

While the bot runs, `check_posting` does the same for the jobs whose upload Discord never
answered (every POSTING_CHECK_SECONDS, and when the connection comes back), leaving alone
the jobs this process is running.
"""

from __future__ import annotations

import datetime
import enum
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import discord

from bot.credits.rows import JobStatus
from bot.fleet import ShardSet
from bot.providers.registry import BY_NAME

if TYPE_CHECKING:
    from bot.credits import Credits
    from bot.credits.records import JobRecords
    from bot.credits.rows import Job
    from bot.jobs.resume import StoredImage

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

    def __bool__(self) -> bool:
        return bool(self.settled or self.refunded or self.kept or self.resumed)

    def describe(self) -> str:
        """`2 resumed, 1 settled, 0 refunded, 1 left waiting`."""
        return (f"{self.resumed} resumed, {self.settled} settled, {self.refunded} refunded, "
                f"{self.kept} left waiting")


class RecoveryHooks(Protocol):
    """What the Discord side does for recovery: resume a job, tell a member, report a
    settlement or refund as a live job's."""

    async def stored(self, job: Job) -> Sequence[StoredImage]:
        """The provider jobs (one per image) to poll instead of refunding; none: refund."""

    def resume(self, job: Job, stored: Sequence[StoredImage]) -> None:
        """Starts finishing the job in the background (it settles or refunds itself)."""

    def running(self, job_id: str) -> bool:
        """True while this process runs or resumes the job."""

    async def refunded(self, job: Job, why: Refund) -> None:
        """Tells the member that their job was refunded, and why."""

    async def settled(self, job: Job, message_id: int) -> None:
        """The job's image was found in its channel (message `message_id`), and the job
        settled."""


class Refund(enum.Enum):
    """Why recovery refunded a job, as its member is told."""

    RESTART = "restart"  # cut by a restart, with nothing to resume
    EXPIRED = "expired"  # the bot was down longer than the provider keeps the job
    NOT_POSTED = "not posted"  # its upload never reached the channel


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
        self._resume: list[tuple[Job, Sequence[StoredImage]]] = []
        self._told: list[tuple[Job, Refund]] = []
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
            else:
                await self._resume_or_refund(job, Refund.RESTART)

    async def after_ready(self) -> Recovered:
        """Settles each posting job whose image is in its channel and refunds the rest."""
        jobs, self._posting = self._posting, []
        result = await self._finish(jobs)
        log.info("recovered jobs after a restart: %s", result.describe())
        return result

    async def check_posting(self, settle: float) -> Recovered:
        """While the bot runs: settles each job left posting by an upload Discord never
        answered whose image is in its channel, and refunds (and tells) the others. Jobs
        this process is running, and those changed in the last `settle` s (Discord may
        yet store an upload it is still taking in), are left for a later check."""
        if self._hooks is None:
            return Recovered()
        hooks = self._hooks
        settled_before = self._clock() - settle
        jobs = [job for job in await self._records.unfinished_jobs()
                if job.status == JobStatus.POSTING and self._shards.owns(job.shard)
                and job.updated_at < settled_before and not hooks.running(job.id)]
        self.result = Recovered()
        result = await self._finish(jobs, Refund.NOT_POSTED)
        if result:
            log.info("checked jobs left posting: %s", result.describe())
        return result

    async def _finish(self, posting: list[Job], not_found: Refund = Refund.RESTART
                      ) -> Recovered:
        for job in posting:
            await self._recover_posting(job, not_found)
        told, self._told = self._told, []
        for job, why in told:
            try:
                if self._hooks is not None:
                    await self._hooks.refunded(job, why)
            except Exception:  # one member not told must not stop the others' recovery
                log.warning("could not tell member %s about job %s", job.user_id, job.id,
                            exc_info=True)
        resume, self._resume = self._resume, []
        for job, stored in resume:
            if self._hooks is not None:
                self._hooks.resume(job, stored)
                self.result.resumed += 1
        return self.result

    async def _resume_or_refund(self, job: Job, not_found: Refund) -> None:
        """Resumes the job's provider job while the provider keeps it; refunds it else."""
        stored = await self._hooks.stored(job) if self._hooks is not None else ()
        if not stored:
            reason = ("its upload never reached the channel" if not_found is Refund.NOT_POSTED
                      else "interrupted by a restart")
            await self._refund(job, reason, not_found)
            return
        provider = stored[0].submission.provider
        lifetime = max(_lifetime(image.submission.provider) for image in stored)
        if self._clock() - job.updated_at > lifetime:
            log.info("job %s: the bot was down longer than %s keeps a job (%.0f s); "
                     "refunded", job.id, provider, lifetime)
            await self._refund(job, f"{provider} no longer keeps the job", Refund.EXPIRED)
            return
        self._resume.append((job, stored))

    async def _refund(self, job: Job, reason: str, why: Refund = Refund.RESTART) -> None:
        if await self._credits.refund(job.id, reason):
            self.result.refunded += 1
            self._told.append((job, why))

    async def _recover_posting(self, job: Job, not_found: Refund = Refund.RESTART) -> None:
        try:
            message_id = await find_posted(self._client, job)
        except ChannelUnreadable as exc:
            if self._clock() - job.created_at < GIVE_UP_AFTER:
                log.warning(
                    "cannot read channel %s to tell whether job %s was delivered (%s); it "
                    "stays reserved, is checked again later and refunded after "
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
                if self._hooks is not None:
                    await self._hooks.settled(job, message_id)
        else:
            # Never posted; the provider may still have the image: fetch and post it.
            await self._resume_or_refund(job, not_found)


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


def _lifetime(provider: str) -> float:
    """How long after its submit a job at `provider` can still be resumed."""
    entry = BY_NAME.get(provider)
    return entry.resumable_for if entry is not None else 0.0


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
