"""bot/moderation/store.py: what a job's screen reads in one statement is what the
separate reads return (the blocklist in its order, the member's strikes, standing and
the review channel), on each engine."""

from __future__ import annotations

from bot.moderation import store
from bot.moderation.store import StandingRow, StrikeRow
from bot.storage import Store, Transaction

GUILD, MEMBER, OTHER = 1_234_567_890_123_456_789, 987_654_321_987_654_321, 5


async def _separately(tx: Transaction, user_id: int) -> tuple[object, ...]:
    return (await store.blocklist_entries(tx, GUILD),
            await store.member_strikes(tx, GUILD, user_id),
            await store.member_standing(tx, GUILD, user_id),
            await store.review_channel(tx, GUILD))


async def test_the_screens_one_read_is_the_separate_reads(db: Store) -> None:
    # Nothing stored: no entries, no strikes, a standing of Nones, no review channel.
    assert await db.read(lambda tx: store.screen_rows(tx, GUILD, MEMBER)) == (
        [], [], StandingRow(GUILD, MEMBER), None)

    async def fill(tx: Transaction) -> None:
        for key, entry, at in (("b", "second", 20.0), ("a", "first", 10.0),
                               ("c", "third", 20.0)):
            await store.add_blocklist_entry(tx, GUILD, key, entry, MEMBER, at)
        for n, at in ((1, 300.5), (2, 100.25)):
            await store.add_strike(tx, StrikeRow(
                f"s{n}", GUILD, MEMBER, 42 + n, "blocklist", f"term {n}", "a 'prompt'",
                {"model": "flux-dev", "n": n}, at))
        await store.add_strike(tx, StrikeRow("s3", GUILD, OTHER, 7, "provider", "x", "y",
                                             {}, 50.0))
        await store.put_member_standing(tx, StandingRow(GUILD, MEMBER, 150.5, 400.75,
                                                        "spam", OTHER))
        await store.set_review_channel(tx, GUILD, 1_111_111_111_111_111_111)

    await db.write(fill)
    for user_id in (MEMBER, OTHER, 99):
        together = await db.read(lambda tx, u=user_id: store.screen_rows(tx, GUILD, u))
        assert together == await db.read(lambda tx, u=user_id: _separately(tx, u))
    entries, strikes, standing, review = await db.read(
        lambda tx: store.screen_rows(tx, GUILD, MEMBER))
    assert entries == ["first", "second", "third"]
    assert [s.id for s in strikes] == ["s2", "s1"]
    assert strikes[0].request == {"model": "flux-dev", "n": 2}
    assert (standing.blocked_by, standing.block_reason, review) == (
        OTHER, "spam", 1_111_111_111_111_111_111)
