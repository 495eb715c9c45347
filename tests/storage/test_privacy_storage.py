"""A member's erasure and the retention, as both engines run them: only that member's (or
that old) prompts go, the ledger and balances stay to the row, and running it again finds
nothing more."""

from __future__ import annotations

from bot.credits import Credits, NewJob
from bot.credits import store as credits_store
from bot.presets import store as presets_store
from bot.presets.store import Preset
from bot.privacy import store as privacy_store
from bot.privacy.retention import expire
from bot.storage import Store
from tests.conftest import FakeClock

GUILD, ALICE, BOB = 10, 1, 2


async def _job(credits: Credits, user: int, prompt: str) -> str:
    job = await credits.reserve(NewJob(guild_id=GUILD, channel_id=5, user_id=user,
                                       model="flux-pro", prompt=prompt, cost=5, seed=1,
                                       options={"aspect_ratio": "16:9"}))
    assert await credits.settle(job.id, message_id=99)
    return job.id


async def test_erasing_a_member_keeps_others_and_the_ledger_and_is_idempotent(
    db: Store, credits: Credits, clock: FakeClock,
) -> None:
    mine = await _job(credits, ALICE, "alice's secret")
    theirs = await _job(credits, BOB, "bob's prompt")
    mine_preset = Preset(GUILD, ALICE, "Mine", {"seed": 3}, 0.0)
    await db.write(lambda tx: presets_store.put_preset(tx, mine_preset))
    ledger = await db.read(lambda tx: credits_store.ledger(tx, GUILD, ALICE))
    member = await db.read(lambda tx: credits_store.member(tx, GUILD, ALICE))

    erased = await db.write(lambda tx: privacy_store.erase_member(tx, ALICE))
    assert erased.servers == [GUILD]
    job = await db.read(lambda tx: credits_store.job(tx, mine))
    assert job is not None and job.prompt == "" and dict(job.options) == {}
    other = await db.read(lambda tx: credits_store.job(tx, theirs))
    assert other is not None and other.prompt == "bob's prompt"
    assert await db.read(lambda tx: presets_store.presets(tx, GUILD, ALICE)) == []
    assert await db.read(lambda tx: credits_store.ledger(tx, GUILD, ALICE)) == ledger
    assert await db.read(lambda tx: credits_store.member(tx, GUILD, ALICE)) == member
    data = await db.read(lambda tx: privacy_store.member_data(tx, ALICE))
    assert "alice's secret" not in str(data) and len(data["ledger"]) == len(ledger)

    again = await db.write(lambda tx: privacy_store.erase_member(tx, ALICE))
    assert (again.review_posts, again.board_posts, again.authored_posts) == ([], [], [])


async def test_retention_erases_old_prompts_only_where_it_runs_out(
    db: Store, credits: Credits, clock: FakeClock,
) -> None:
    old = await _job(credits, ALICE, "an old prompt")
    clock.advance(5 * 86400)
    new = await _job(credits, ALICE, "a new prompt")
    await db.write(lambda tx: privacy_store.set_retention(tx, GUILD, 3))
    assert await db.read(lambda tx: privacy_store.retention(tx, GUILD)) == 3

    assert await db.write(lambda tx: expire(tx, clock(), 365)) == 1
    assert await db.write(lambda tx: expire(tx, clock(), 365)) == 0  # nothing more
    assert (await db.read(lambda tx: credits_store.job(tx, old))).prompt == ""  # type: ignore[union-attr]
    assert (await db.read(lambda tx: credits_store.job(tx, new))).prompt == "a new prompt"  # type: ignore[union-attr]
