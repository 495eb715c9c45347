"""What a job keeps to survive a restart, on every engine (the `db` fixture runs each test
on SQLite and PostgreSQL): its reply, its provider job, its input image, and the purge."""

from __future__ import annotations

from bot.continuity import Continuity
from bot.jobs.request import Attachment, ImagineRequest, ReplyRef
from bot.jobs.resume import StoredImage
from bot.jobs.terms import attachment_expired
from bot.providers.base import InputImage, Submission
from bot.storage import Store
from tests.conftest import FakeClock
from tests.support.standins.images import make_image

DAY = 86400.0
APP = 2**60 + 7
TOKEN = "aW50ZXJhY3Rpb246MTIzOnNlY3JldA"


async def test_a_jobs_reply_and_provider_job_are_kept_together(
    db: Store, clock: FakeClock
) -> None:
    continuity = Continuity(db, clock=clock)
    assert await continuity.submission("job-1") is None

    # The reply is kept at the reservation, the provider's job once it accepted it.
    await continuity.reserved("job-1", ReplyRef(APP, TOKEN, clock() + 900), None)
    assert await continuity.submission("job-1") is None
    await continuity.submitted("job-1", Submission("bfl", "task-9",
                                                   "https://api.us1.bfl.ai/v1/get_result?id=9"))
    row = await continuity.resume_row("job-1")
    assert row is not None
    assert (row.application_id, row.interaction_token, row.token_expires_at) == (
        APP, TOKEN, clock() + 900)
    assert await continuity.submission("job-1") == Submission(
        "bfl", "task-9", "https://api.us1.bfl.ai/v1/get_result?id=9")
    assert TOKEN not in repr(row)
    assert TOKEN not in repr(ReplyRef(APP, TOKEN, 0.0))

    # A job without a reply (a button's job after its interaction) still keeps its
    # provider job.
    await continuity.submitted("job-2", Submission("apiframe", "af-1"))
    assert await continuity.submission("job-2") == Submission("apiframe", "af-1")


async def test_each_image_of_a_job_of_several_is_kept_then_purged(
    db: Store, clock: FakeClock
) -> None:
    continuity = Continuity(db, clock=clock)
    assert await continuity.stored_images("job-1") == []
    # Accepted in any order; handed back in the job's order, each with its seed and the
    # cost of one image. A second report of one image replaces the first.
    for index, task in ((2, "af-3"), (0, "af-1"), (1, "old"), (1, "af-2")):
        kept = StoredImage(index, Submission("apiframe", task), 2**32 - index, 4)
        assert await continuity.submitted_image("job-1", kept)
    assert await continuity.stored_images("job-1") == [
        StoredImage(0, Submission("apiframe", "af-1"), 2**32, 4),
        StoredImage(1, Submission("apiframe", "af-2"), 2**32 - 1, 4),
        StoredImage(2, Submission("apiframe", "af-3"), 2**32 - 2, 4),
    ]
    # A job of one image: its one provider job, with the job's own seed and cost.
    await continuity.submitted("job-2", Submission("bfl", "task-9", "https://x/poll?id=9"))
    assert await continuity.stored_images("job-2") == [
        StoredImage(0, Submission("bfl", "task-9", "https://x/poll?id=9"))]

    clock.advance(2 * DAY + 1)
    assert await continuity.prune() == 4
    assert await continuity.stored_images("job-1") == []


async def test_input_images_are_kept_for_the_retention_then_purged(
    db: Store, clock: FakeClock
) -> None:
    continuity = Continuity(db, input_retention_days=7, clock=clock)
    data = make_image(64, 48, "png")
    image = InputImage(data, "reference.png", "image/png", "https://cdn.example/ref.png")
    await continuity.reserved("job-1", ReplyRef(APP, TOKEN, clock() + 900), image)
    kept = await continuity.stored_input("job-1")
    assert kept is not None
    assert (kept.filename, kept.content_type, kept.data) == ("reference.png", "image/png", data)

    clock.advance(6 * DAY)
    assert await continuity.prune() == 1  # the reply, which no restart needs any more
    assert await continuity.stored_input("job-1") is not None
    assert await continuity.resume_row("job-1") is None
    clock.advance(1.5 * DAY)
    assert await continuity.prune() == 1
    assert await continuity.stored_input("job-1") is None


async def test_an_input_image_is_dropped_at_once_and_only_its_jobs(
    db: Store, clock: FakeClock
) -> None:
    continuity = Continuity(db, input_retention_days=7, clock=clock)
    image = InputImage(make_image(32, 32, "png"), "ref.png", "image/png", None)
    for job in ("job-1", "job-2"):
        await continuity.reserved(job, None, image)

    await continuity.drop_input("job-1")

    assert await continuity.stored_input("job-1") is None
    assert await continuity.stored_input("job-2") is not None
    await continuity.drop_input("job-1")  # nothing left to drop: no error
    await continuity.drop_input("never-kept")
    assert await continuity.stored_input("job-2") is not None


async def test_no_input_is_kept_when_the_retention_is_zero(db: Store, clock: FakeClock
                                                           ) -> None:
    continuity = Continuity(db, input_retention_days=0, clock=clock)
    image = InputImage(b"png", "reference.png", "image/png", "https://cdn.example/ref.png")
    await continuity.reserved("job-1", None, image)
    assert await continuity.stored_input("job-1") is None


def test_a_discord_link_expires_at_its_signed_time() -> None:
    url = "https://cdn.discordapp.com/attachments/1/2/ref.png?ex=6560c3a0&is=654e4ea0&hm=ab"
    expiry = int("6560c3a0", 16)
    assert not attachment_expired(url, expiry - 1)
    assert attachment_expired(url, expiry)
    assert not attachment_expired("https://cdn.example/ref.png", 2e9)  # no expiry: alive
    assert not attachment_expired("https://cdn.example/ref.png?ex=zz", 2e9)


async def test_an_open_question_is_kept_until_answered_once_or_expired(
    db: Store, clock: FakeClock
) -> None:
    continuity = Continuity(db, clock=clock)
    picture = Attachment("https://cdn.example/ref.png", "ref.png", "image/png", 2048,
                         kept_job="a" * 32)
    request = ImagineRequest(guild_id=2**62, channel_id=2**61, user_id=2**60,
                             prompt="a harbour, 'quoted' \"twice\"", model="flux-dev",
                             options={"steps": 20, "aspect_ratio": "16:9"}, seed=2**32 - 1,
                             attachment=picture, count=2, role_ids=(5, 6), frozen=True)
    await continuity.keep_question("1234", request, clock() + 120)
    found = await continuity.open_question("1234")
    assert found is not None
    assert (found.guild_id, found.user_id, found.expires_at) == (2**62, 2**60, clock() + 120)
    assert found.request == request
    assert await continuity.open_question("999") is None

    # Answered once: the first close wins, a second (a double click) finds nothing.
    assert await continuity.close_question("1234")
    assert not await continuity.close_question("1234")
    assert await continuity.open_question("1234") is None

    # Unanswered: dropped once expired.
    await continuity.keep_question("5678", request, clock() + 120)
    clock.advance(121)
    assert await continuity.prune() == 1
    assert await continuity.open_question("5678") is None
