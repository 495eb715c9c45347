"""Boards, their items (thumbnails, never full files) and /history on every engine (the
`db` fixture runs each test on SQLite and PostgreSQL), and a board copied from SQLite to
PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.boards.names import BoardNameError
from bot.boards.service import BoardNotFound, Boards
from bot.boards.store import KeptResult
from bot.credits import CreditDefaults, Credits, NewJob
from bot.credits.records import JobRecords
from bot.credits.rows import Job
from bot.errors import UserError
from bot.schema import MIGRATIONS, TABLES, open_store
from bot.storage import SqliteStore, Store
from bot.storage.copy import copy_rows, row_counts
from tests.conftest import FakeClock
from tests.support.postgres import ThrowawayPostgres
from tests.support.standins.images import make_image

GUILD, ALICE, BOB = 2**60 + 5, 2**60 + 1, 2**60 + 2


async def _posted(db: Store, clock: FakeClock, prompt: str, user: int = ALICE,
                  seed: int = 1) -> Job:
    credits = Credits(db, CreditDefaults(), clock)
    job = await credits.reserve(NewJob(guild_id=GUILD, channel_id=2**62, user_id=user,
                                       model="flux-dev", prompt=prompt, cost=1, seed=seed))
    await credits.settle(job.id, 2**61 + seed)
    clock.advance(1)
    found = await JobRecords(db).get_job(job.id)
    assert found is not None
    return found


async def test_names_are_unique_per_server_ignoring_case_and_a_gone_thread_is_reused(
    db: Store, clock: FakeClock
) -> None:
    boards = Boards(db, clock=clock)
    name, existing = await boards.new_board_name(GUILD, "  Mood  ")
    assert (name, existing) == ("Mood", None)
    first = await boards.record_board(GUILD, name, 10, 11, ALICE)
    with pytest.raises(BoardNameError, match="already has a board"):
        await boards.new_board_name(GUILD, "MOOD")
    assert (await boards.new_board_name(GUILD + 1, "mood"))[1] is None  # another server

    assert await boards.thread_changed(11, "deleted") == 1
    _, gone = await boards.new_board_name(GUILD, "mood")
    assert gone is not None and gone.id == first.id and gone.thread_state == "deleted"
    again = await boards.record_board(GUILD, "mood", 10, 12, ALICE)
    assert (again.id, again.name, again.thread_id, again.thread_state) == (
        first.id, "Mood", 12, "active")
    with pytest.raises(BoardNotFound):
        await boards.board(GUILD, "nope")


async def test_items_are_numbered_once_and_the_same_image_is_refused(
    db: Store, clock: FakeClock
) -> None:
    boards = Boards(db, clock=clock)
    board = await boards.record_board(GUILD, "Mood", 10, 11, ALICE)
    jobs = [await _posted(db, clock, f"study {n}", seed=n) for n in range(3)]
    files = [make_image(320, 200, "png", tint=n) for n in range(3)]
    # Each file as read back from its message on Discord.
    read = [KeptResult(job.id, f"{job.id}.png", data) for job, data in zip(jobs, files,
                                                                           strict=True)]
    added = [await boards.add(board, job, kept, BOB, f"link-{job.id}")
             for job, kept in zip(jobs, read, strict=True)]
    assert [a.item.number for a in added] == [1, 2, 3]
    assert not any(a.duplicate for a in added)

    twice = await boards.add(board, jobs[0], read[0], ALICE, "x")
    assert twice.duplicate and twice.item.number == 1

    with pytest.raises(UserError, match="Only the member who added"):
        await boards.remove(board, 3, ALICE, may_manage=False)
    removed = await boards.remove(board, 3, BOB, may_manage=False)
    assert removed.prompt == "study 2"
    assert removed.image is None  # the database keeps no posted file, only its thumbnail
    # A number is never given twice, even after its item is removed.
    kept = read[2]
    fourth = (await boards.add(board, jobs[2], kept, BOB, "y")).item
    assert fourth.number == 4
    # An item whose copy could not be posted was never seen: its number is given back.
    await boards.withdraw(fourth)
    assert (await boards.add(board, jobs[2], kept, BOB, "y")).item.number == 4

    items = await boards.sheet_items(board)
    assert [i.number for i in items] == [4, 2, 1]  # newest first
    assert items[0].image is None  # the sheet never loads the full files
    with Image.open(io.BytesIO(items[0].thumbnail)) as thumb:
        assert thumb.format == "WEBP" and max(thumb.size) <= 256
    listed = await boards.boards(GUILD)
    assert [(b.name, n) for b, n in listed] == [("Mood", 3)]


async def test_history_is_the_members_posted_jobs_newest_first_filtered_by_text(
    db: Store, clock: FakeClock
) -> None:
    boards = Boards(db, clock=clock)
    for n in range(12):
        await _posted(db, clock, f"A Red Fox {n}" if n % 3 == 0 else f"owl {n}", seed=n)
    await _posted(db, clock, "a red fox of bob's", user=BOB, seed=99)
    credits = Credits(db, CreditDefaults(), clock)
    refunded = await credits.reserve(NewJob(guild_id=GUILD, channel_id=1, user_id=ALICE,
                                            model="flux-dev", prompt="red fox lost",
                                            cost=1, seed=5))
    await credits.refund(refunded.id, "failed")

    page, more = await boards.history(GUILD, ALICE, None, 0)
    assert more and len(page) == 10
    assert [e.seed for e in page] == list(range(11, 1, -1))
    rest, more = await boards.history(GUILD, ALICE, None, 1)
    assert [e.seed for e in rest] == [1, 0] and not more
    foxes, _ = await boards.history(GUILD, ALICE, "red FOX", 0)
    assert [e.prompt for e in foxes] == [f"A Red Fox {n}" for n in (9, 6, 3, 0)]
    assert foxes[0].message_id == 2**61 + 9


async def test_history_folds_the_case_of_any_letter_on_every_engine(
    db: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.boards.service.HISTORY_SCAN_CHUNK", 4)  # several chunks
    boards = Boards(db, clock=clock)
    for n in range(9):
        await _posted(db, clock, f"Un ÉTÉ à Paris {n}" if n % 2 else f"winter {n}", seed=n)
    found, more = await boards.history(GUILD, ALICE, "été à", 0)
    assert [e.seed for e in found] == [7, 5, 3, 1] and not more
    monkeypatch.setattr("bot.boards.service.HISTORY_PAGE", 3)
    first, more = await boards.history(GUILD, ALICE, "ÉTÉ", 0)
    assert [e.seed for e in first] == [7, 5, 3] and more
    second, more = await boards.history(GUILD, ALICE, "ÉTÉ", 1)
    assert [e.seed for e in second] == [1] and not more


async def test_boards_copy_from_sqlite_to_postgresql(
    tmp_path: Path, pg_server: ThrowawayPostgres, clock: FakeClock
) -> None:
    async with await SqliteStore.open(tmp_path / "fluxcord.db", migrations=MIGRATIONS) as source:
        boards = Boards(source, clock=clock)
        board = await boards.record_board(GUILD, "Mood", 10, 11, ALICE)
        await boards.set_style(board, {"model": "flux-dev", "prompt_suffix": "grain"})
        job = await _posted(source, clock, "a fox")
        kept = KeptResult(job.id, "fox.png", make_image(64, 64, "png"))
        await boards.add(board, job, kept, BOB, "link")
        counts = await row_counts(source, TABLES)
        target = await open_store(pg_server.new_database())
        try:
            await copy_rows(source, target, TABLES)
            assert await row_counts(target, TABLES) == counts
            moved = Boards(target, clock=clock)
            assert (await moved.board(GUILD, "mood")).style == {
                "model": "flux-dev", "prompt_suffix": "grain"}
            (item,) = await moved.sheet_items(board)
            assert (item.prompt, item.added_by, item.seed) == ("a fox", BOB, job.seed)
            assert item.thumbnail and item.image is None
        finally:
            await target.close()
