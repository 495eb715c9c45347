"""bot/jobs/: what a restart needs of a job (how to answer its member, its input image) is
written in the transaction that reserves it, not in one of its own, before any provider
call; a reservation refused keeps nothing of it. A provider's job is kept in one
statement.

Real SQLite and PostgreSQL, the real services (continuity's keeper among them) and the
placeholder provider; only the transactions are counted, around the store.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from bot.continuity import Continuity
from bot.continuity import store as continuity_store
from bot.credits import OutOfCredits
from bot.jobs.ports import JobUI
from bot.jobs.request import ImagineRequest, Progress, ReplyRef
from bot.jobs.resume import StoredImage
from bot.jobs.service import JobService
from bot.providers.base import GeneratedImage, InputImage, Submission
from bot.schema import open_store
from bot.storage import Rule, Store
from tests.support.jobs import CountedStore, wired_jobs

GUILD, CHANNEL, MEMBER = 1, 2, 3
REPLY = ReplyRef(42, "the interaction's token", time.time() + 900)


@pytest.fixture
async def wired(store_url: str) -> AsyncIterator[tuple[JobService, CountedStore]]:
    async with wired_jobs(store_url, keeper=Continuity) as w:
        yield w.jobs, w.db


async def _posted(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
    return 1234


async def test_the_reply_is_kept_in_the_reservations_transaction(
    wired: tuple[JobService, CountedStore],
) -> None:
    jobs, db = wired
    prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat",
                                                 model="flux-dev"))
    checked = db.count
    seen: list[tuple[int, Any]] = []

    async def on_progress(progress: Progress) -> None:
        if progress.state == "generating":
            kept = await db.read(lambda tx: continuity_store.resume_row(
                tx, progress.job_id or ""))
            seen.append((db.count - 1 - checked, kept))

    await jobs.run(prepared, JobUI(on_progress, _posted, REPLY))
    # The reservation (with the reply, and as generating: the job starts at once).
    ((transactions, kept),) = seen
    assert transactions == 1
    assert (kept.application_id, kept.interaction_token) == (42, "the interaction's token")


async def test_a_refused_reservation_keeps_no_reply(
    wired: tuple[JobService, CountedStore],
) -> None:
    jobs, db = wired
    prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat",
                                                 model="flux-dev"))
    prepared.cost = 10_000  # more than the member has
    with pytest.raises(OutOfCredits):
        await jobs.run(prepared, JobUI(_quiet, _posted, REPLY))
    rows = await db.read(lambda tx: tx.fetch("SELECT job_id FROM job_resume"))
    assert rows == []


async def _quiet(progress: Progress) -> None:
    pass


class OneStatementWrites:
    """The real store, noting for each write whether it promised one statement."""

    def __init__(self, db: Store) -> None:
        self._db = db
        self.writes: list[bool] = []

    async def write(self, rule: Rule[Any], *, one_statement: bool = False) -> Any:
        self.writes.append(one_statement)
        return await self._db.write(rule, one_statement=one_statement)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


async def test_a_provider_job_is_kept_in_one_statement(store_url: str) -> None:
    # On PostgreSQL a one-statement write spares its BEGIN and COMMIT: two round trips
    # on the way of every job at an asynchronous provider.
    real = await open_store(store_url)
    try:
        db: Any = OneStatementWrites(real)
        continuity = Continuity(db)
        assert await continuity.submitted("job-1", Submission("apiframe", "task-1", None))
        assert await continuity.submitted_image(
            "job-2", StoredImage(1, Submission("bfl", "task-2", "https://bfl/poll"), 7, 3))
        assert db.writes == [True, True]
        assert await continuity.submission("job-1") == Submission("apiframe", "task-1", None)
        assert [image.submission.job_id for image in await continuity.stored_images("job-2")
                ] == ["task-2"]
    finally:
        await real.close()


class SentAtOnce:
    """A real transaction, noting the statements sent at once rather than held back."""

    def __init__(self, tx: Any) -> None:
        self._tx = tx
        self.sent: list[str] = []

    async def execute(self, sql: str, *args: Any) -> int:
        self.sent.append(sql)
        return int(await self._tx.execute(sql, *args))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


async def test_the_reply_and_input_go_with_the_reservations_own_writes(
    store_url: str,
) -> None:
    # Held back, a PostgreSQL reservation sends them in the one statement of its own
    # writes instead of one round trip each.
    real = await open_store(store_url)
    try:
        keep = Continuity(real).reserving(
            "job-1", REPLY, InputImage(b"\x89PNG...", "cat.png", "image/png", "https://x/cat.png"))
        assert keep is not None
        seen: list[SentAtOnce] = []

        async def rule(tx: Any) -> None:
            seen.append(SentAtOnce(tx))
            await keep(seen[0])

        await real.write(rule)
        assert seen[0].sent == []
        kept = await Continuity(real).stored_input("job-1")
        assert kept is not None and kept.data == b"\x89PNG..."
        row = await Continuity(real).resume_row("job-1")
        assert row is not None and row.interaction_token == "the interaction's token"
    finally:
        await real.close()
