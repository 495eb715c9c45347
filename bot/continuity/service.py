"""What a job keeps so that a restart, even a kill -9, does not lose it (SPEC section 8).

- How to answer its member: the interaction's application id and token (a secret: never
  logged) with the time the token stops working. After a restart the result is posted
  through it while it lives, else as a channel message that mentions the member.
- The provider's job, stored the moment an asynchronous provider (apiframe, BFL) accepts
  it: after a restart the bot polls that job instead of submitting (and paying) again.
  A job of several images keeps each image's provider job, seed and unit cost.
  A synchronous provider (1min.ai, Segmind) gives nothing to resume; its job is refunded.
- The member's input image, so Reroll, Edit and Try again work after Discord's
  attachment URL has expired. apiframe takes an image only by URL: the original URL is
  sent while it lives; once Discord's URL has expired, a job with an input image is
  planned without apiframe (a provider that takes bytes serves it), and refused, saying
  so, when no other provider of the model can.
- An open Confirm question, with the request it runs, until it expires
  (`bot.continuity.questions`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.continuity import questions, store
from bot.continuity.store import ImageRow, ResumeRow, StoredInput
from bot.jobs.request import ImagineRequest, ReplyRef
from bot.jobs.resume import StoredImage
from bot.providers.base import InputImage, Submission
from bot.storage import Rule, Store, Transaction

log = logging.getLogger(__name__)

DAY = 86400.0
# A reply row is no use after its job is over, and its token after 15 minutes; rows are
# dropped once no restart could need them.
REPLY_KEEP = 2 * DAY
LAST_RECOVERY_KEY = "last_recovery"


class Continuity:
    """Keeps and hands back what resuming a job needs; purges it after its retention."""

    def __init__(self, db: Store, *, input_retention_days: int = 7,
                 clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._retention_days = input_retention_days
        self._clock = clock

    def reserving(self, job_id: str, reply: ReplyRef | None,
                  image: InputImage | None) -> Rule[None] | None:
        """How to answer the job's member and its input image, to record in the
        transaction that reserves the job (None: nothing to keep)."""
        now = self._clock()
        kept = None
        if image is not None and self._retention_days > 0:
            kept = StoredInput(job_id, image.filename, image.content_type, image.data)
        if reply is None and kept is None:
            return None

        async def keep(tx: Transaction) -> None:
            if reply is not None:
                await store.set_reply(tx, job_id, reply.application_id, reply.token,
                                      reply.expires_at, now)
            if kept is not None:
                await store.keep_input(tx, kept, now)

        return keep

    async def reserved(self, job_id: str, reply: ReplyRef | None,
                       image: InputImage | None) -> None:
        """Records how to answer the job's member and its input image on their own."""
        keep = self.reserving(job_id, reply, image)
        if keep is not None:
            await self._db.write(keep)

    async def submitted(self, job_id: str, submission: Submission) -> bool:
        """Records the provider's job the moment the provider accepted it."""
        now = self._clock()
        await self._db.write(lambda tx: store.set_submitted(tx,
            job_id, submission.provider, submission.job_id, submission.poll_url, now),
            one_statement=True)
        return True

    async def submitted_image(self, job_id: str, image: StoredImage) -> bool:
        """Records one image's provider job, of a job of several, the moment it exists."""
        now = self._clock()
        sub = image.submission
        row = ImageRow(image.index, image.seed or 0, image.unit_cost or 0, sub.provider,
                       sub.job_id, sub.poll_url)
        await self._db.write(lambda tx: store.set_image_submitted(tx, job_id, row, now),
                             one_statement=True)
        return True

    async def stored_images(self, job_id: str) -> list[StoredImage]:
        """Every provider job to poll for the job after a restart, one per image kept
        (none when there is nothing to resume)."""
        rows = await self._db.read(lambda tx: store.image_rows(tx, job_id))
        if rows:
            return [StoredImage(r.image, Submission(r.provider, r.provider_job_id, r.poll_url),
                                r.seed, r.unit_cost) for r in rows]
        submission = await self.submission(job_id)
        return [StoredImage(0, submission)] if submission is not None else []

    async def resume_row(self, job_id: str) -> ResumeRow | None:
        """What the job kept for a restart, or None."""
        return await self._db.read(lambda tx: store.resume_row(tx, job_id))

    async def submission(self, job_id: str) -> Submission | None:
        """The provider job to poll after a restart, or None when there is none."""
        row = await self.resume_row(job_id)
        if row is None or not row.provider or not row.provider_job_id:
            return None
        return Submission(row.provider, row.provider_job_id, row.poll_url)

    async def stored_input(self, job_id: str) -> StoredInput | None:
        """The job's input image, while the retention keeps it."""
        return await self._db.read(lambda tx: store.stored_input(tx, job_id))

    async def drop_input(self, job_id: str) -> None:
        """Drops the job's input image at once: its job was cancelled, refused or its
        result deleted, so nothing will run from it again (SPEC section 12)."""
        if await self._db.write(lambda tx: store.drop_input(tx, job_id)):
            log.debug("job %s: kept input image dropped", job_id)

    async def keep_question(self, question_id: str, request: ImagineRequest,
                            expires_at: float) -> None:
        """Keeps an open Confirm question and the request it runs, until `expires_at`."""
        question = questions.OpenQuestion(question_id, request.guild_id, request.user_id,
                                          request, expires_at)
        await self._db.write(lambda tx: questions.keep(tx, question))

    async def open_question(self, question_id: str) -> questions.OpenQuestion | None:
        """The kept question, or None (answered, pruned, or never kept)."""
        return await self._db.read(lambda tx: questions.find(tx, question_id))

    async def close_question(self, question_id: str) -> bool:
        """Closes the question; True for the one caller that closed it."""
        return await self._db.write(lambda tx: questions.close(tx, question_id))

    async def note_recovery(self, summary: str) -> None:
        """Keeps what the start-up recovery did, for `python -m bot check`."""
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self._clock()))
        await self._db.set_meta(LAST_RECOVERY_KEY, f"{summary} ({when})")

    async def last_recovery(self) -> str | None:
        """What the last start-up recovery did, and when; None before the first."""
        return await self._db.get_meta(LAST_RECOVERY_KEY)

    async def prune(self) -> int:
        """Drops input images older than the retention and reply rows no restart needs."""
        now = self._clock()
        inputs_before = now - self._retention_days * DAY if self._retention_days > 0 else now
        dropped = await self._db.write(
            lambda tx: store.prune_continuity(tx, inputs_before, now - REPLY_KEEP))
        dropped += await self._db.write(lambda tx: questions.prune(tx, now))
        if dropped:
            log.info("dropped %d kept inputs and replies past their retention", dropped)
        return dropped
