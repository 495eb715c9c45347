"""A deleted result, on every engine (the `db` fixture runs each test on SQLite and
PostgreSQL): the deletion is kept with the job, and its input image goes."""

from __future__ import annotations

from bot.boards.service import Boards
from bot.continuity import Continuity
from bot.credits import CreditDefaults, Credits, NewJob
from bot.credits.records import JobRecords
from bot.jobs.request import ReplyRef
from bot.providers.base import InputImage
from bot.schema import open_store
from bot.storage import Store
from tests.conftest import FakeClock
from tests.support.standins.images import make_image

GUILD, ALICE = 2**60 + 5, 2**60 + 1


def _job() -> NewJob:
    return NewJob(guild_id=GUILD, channel_id=2**62, user_id=ALICE, model="flux-dev",
                  prompt="a lighthouse", cost=2, seed=7, options={"count": 2})


async def test_deleting_a_result_is_kept_and_drops_its_input(
    db: Store, clock: FakeClock, store_url: str
) -> None:
    credits, records = Credits(db, CreditDefaults(), clock), JobRecords(db, clock)
    boards = Boards(db, clock=clock)
    continuity = Continuity(db, input_retention_days=7, clock=clock)
    job, other = await credits.reserve(_job()), await credits.reserve(_job())
    image = make_image(32, 32, "png")
    for kept in (job, other):
        await credits.settle(kept.id, 2**61)
        await continuity.reserved(kept.id, ReplyRef(1, "t", clock() + 900),
                                  InputImage(image, "in.png", "image/png", "https://x/in"))
    before = await records.get_job(job.id)
    assert before is not None and before.deleted_at is None
    listed, _ = await boards.history(GUILD, ALICE, None, 0)
    assert {e.job_id for e in listed} == {job.id, other.id}

    clock.advance(60)
    assert await records.delete_result(job.id)
    assert not await records.delete_result(job.id)  # once
    after = await records.get_job(job.id)
    assert after is not None and after.deleted_at == clock()
    assert await continuity.stored_input(job.id) is None
    # Another job's input stays.
    assert await continuity.stored_input(other.id) is not None
    assert not await records.delete_result("0" * 32)
    # /history no longer lists it (nor offers to Reroll it).
    listed, _ = await boards.history(GUILD, ALICE, None, 0)
    assert [e.job_id for e in listed] == [other.id]
    listed, _ = await boards.history(GUILD, ALICE, "Lighthouse", 0)
    assert [e.job_id for e in listed] == [other.id]

    # It holds for a new process on the same database.
    again = await open_store(store_url)
    try:
        reopened = await JobRecords(again, clock).get_job(job.id)
        assert reopened is not None and reopened.deleted_at == clock()
    finally:
        await again.close()
