"""Moderation over storage (bot/moderation/service.py), on SQLite and PostgreSQL: the
server blocklist, strikes to a cooldown, pardon, block, and appeals once per strike and
`APPEALS_PER_DAY` per member."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.moderation import Blocklist, Policy, parse_file
from bot.moderation import patterns as patterns_module
from bot.moderation import store as moderation_store
from bot.moderation.refusal import ModerationRefusal, Subject
from bot.moderation.schema import TABLES as MODERATION_TABLES
from bot.moderation.service import MAX_SERVER_ENTRIES, Moderation
from bot.schema import MIGRATIONS, TABLES, open_store
from bot.storage import SqliteStore, Store, Transaction
from bot.storage.copy import copy_rows
from tests.conftest import FakeClock
from tests.support.postgres import ThrowawayPostgres

GUILD, ALICE, BOB, MOD = 10, 1, 2, 99
DAY = 24 * 3600


class Events:
    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []

    async def __call__(self, guild_id: int, text: str) -> None:
        self.lines.append((guild_id, text))


def make(db: Store, clock: FakeClock, events: Events | None = None,
         operator: Blocklist | None = None, **policy: int) -> Moderation:
    return Moderation(db, Policy(**policy), operator or Blocklist((), source="operator"),
                      clock=clock, on_event=events or Events())


def subject(prompt: str, user: int = ALICE) -> Subject:
    return Subject(GUILD, user, 5, prompt, "flux-pro",
                   {"guild_id": GUILD, "user_id": user, "channel_id": 5, "prompt": prompt})


async def refused(moderation: Moderation, prompt: str, user: int = ALICE
                  ) -> ModerationRefusal:
    with pytest.raises(ModerationRefusal) as caught:
        await moderation.screen(subject(prompt, user))
    return caught.value


async def test_server_entries_are_kept_once_and_removed_by_what_they_match(
    db: Store, clock: FakeClock,
) -> None:
    moderation = make(db, clock)
    await moderation.add_entry(GUILD, "Red  Fox", MOD)
    with pytest.raises(UserError, match="already"):
        await moderation.add_entry(GUILD, "red fox", MOD)
    clock.advance(1)
    await moderation.add_entry(GUILD, "/b[a4]d+/", MOD)
    assert await moderation.entries(GUILD) == ["Red  Fox", "/b[a4]d+/"]
    assert await moderation.entries(GUILD + 1) == []
    assert (await refused(moderation, "a RED fox")).strike_id is not None
    await moderation.screen(Subject(GUILD + 1, BOB, 5, "a red fox", "flux-pro"))
    assert await moderation.remove_entry(GUILD, "RED FOX", MOD) == "Red  Fox"
    with pytest.raises(UserError, match="not on"):
        await moderation.remove_entry(GUILD, "red fox", MOD)
    await moderation.screen(subject("a red fox"))
    assert (await refused(moderation, "so b4ddd")).message.count("/b[a4]d+/") == 1


async def test_strikes_start_a_cooldown_a_pardon_clears_and_a_block_stops(
    db: Store, clock: FakeClock,
) -> None:
    events = Events()
    operator = parse_file("ogre\n")
    moderation = make(db, clock, events, operator, strikes_before_cooldown=2)
    first = await refused(moderation, "an OGRE")
    assert "the bot's blocklist" in first.message and "generate again" not in first.message
    clock.advance(60)
    second = await refused(moderation, "an ogre again")
    until = int(clock() + 3600)
    assert f"<t:{until}:t>" in second.message
    assert f"<t:{until}:t>" in (await refused(moderation, "a kitten")).message
    await moderation.screen(subject("a kitten", BOB))  # others are not affected
    report = await moderation.report(GUILD, ALICE)
    assert len(report.recent) == 2 and report.recent[0].prompt == "an OGRE"

    assert await moderation.pardon(GUILD, ALICE, MOD) == 2
    await moderation.screen(subject("a kitten"))
    assert (await moderation.report(GUILD, ALICE)).recent == []

    await moderation.block(GUILD, ALICE, "spam", MOD)
    assert "Reason: spam" in (await refused(moderation, "a kitten")).message
    assert await moderation.unblock(GUILD, ALICE, MOD)
    assert not await moderation.unblock(GUILD, ALICE, MOD)
    await moderation.screen(subject("a kitten"))
    # The log channel hears of each action, never the refused prompt.
    assert len(events.lines) >= 6
    assert not any("an OGRE" in text or "kitten" in text for _, text in events.lines)


async def test_appeals_once_per_strike_within_the_daily_quota_and_decided_once(
    db: Store, clock: FakeClock,
) -> None:
    moderation = make(db, clock, operator=parse_file("ogre\n"), appeals_per_day=2,
                      strikes_before_cooldown=10)
    no_review = await refused(moderation, "an ogre")
    assert not no_review.appealable
    with pytest.raises(UserError, match="does not review"):
        await moderation.open_appeal(no_review.strike_id or "", ALICE)
    await moderation.set_review_channel(GUILD, 77, MOD)
    strikes = [await refused(moderation, f"ogre {n}") for n in range(3)]
    assert all(s.appealable and s.strike_id for s in strikes)
    ids = [s.strike_id or "" for s in strikes]

    appeal, channel = await moderation.open_appeal(ids[0], ALICE)
    assert channel == 77 and appeal.prompt == "ogre 0" and appeal.state == "pending"
    assert appeal.request["model"] == "flux-pro" and appeal.reason == "ogre"
    with pytest.raises(UserError, match="already"):
        await moderation.open_appeal(ids[0], ALICE)
    with pytest.raises(UserError, match="no longer"):
        await moderation.open_appeal(ids[1], BOB)  # not Bob's
    await moderation.open_appeal(ids[1], ALICE)
    with pytest.raises(UserError, match="no appeals left"):
        await moderation.open_appeal(ids[2], ALICE)
    clock.advance(DAY)
    await moderation.open_appeal(ids[2], ALICE)

    approved = await moderation.decide(ids[0], True, MOD)
    assert approved.state == "approved" and approved.decided_by == MOD
    with pytest.raises(UserError, match="decided already"):
        await moderation.decide(ids[0], False, MOD)
    rejected = await moderation.decide(ids[1], False, MOD)
    assert rejected.state == "rejected"
    left = [s.prompt for s in (await moderation.report(GUILD, ALICE)).record.strikes]
    assert "ogre 0" not in left and "ogre 1" in left  # approval removed its strike only


async def test_a_check_that_ran_out_of_time_is_refused_without_a_strike(
    db: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    moderation = make(db, clock, operator=parse_file("/x+y/\n"))
    await moderation.set_review_channel(GUILD, 77, MOD)
    monkeypatch.setattr(patterns_module, "MATCH_BUDGET", 0.0)
    refusal = await refused(moderation, "x" * 50)
    assert "could not be checked" in refusal.message
    assert refusal.strike_id is None and not refusal.appealable
    assert (await moderation.report(GUILD, ALICE)).record.strikes == []


async def test_an_approved_prompt_skips_the_blocklist_but_not_a_block(
    db: Store, clock: FakeClock,
) -> None:
    moderation = make(db, clock, operator=parse_file("ogre\n"))
    approved = Subject(GUILD, ALICE, 5, "an ogre", "flux-pro", check_blocklist=False)
    await moderation.screen(approved)
    await moderation.block(GUILD, ALICE, None, MOD)
    with pytest.raises(ModerationRefusal, match="blocked"):
        await moderation.screen(approved)


async def test_a_servers_blocklist_holds_at_most_2000_entries(
    db: Store, clock: FakeClock,
) -> None:
    moderation = make(db, clock)

    async def fill(tx: Transaction) -> None:
        for n in range(MAX_SERVER_ENTRIES - 2):
            await moderation_store.add_blocklist_entry(tx, GUILD, f"term{n}", f"term{n}", None, 0.0)

    await db.write(fill)
    await moderation.add_entry(GUILD, "one before last", MOD)
    # Three moderators add at once for the one place left (under the server's lock).
    outcomes = await asyncio.gather(
        *(moderation.add_entry(GUILD, f"rival {n}", MOD) for n in range(3)),
        return_exceptions=True)
    refusals = [str(o) for o in outcomes if isinstance(o, UserError)]
    assert len(refusals) == 2 and all("at most 2,000 entries" in r for r in refusals)
    assert len(await moderation.entries(GUILD)) == MAX_SERVER_ENTRIES == 2000
    await moderation.add_entry(GUILD + 1, "another server's", MOD)  # a cap per server


async def test_the_member_who_appealed_cannot_decide_the_appeal(
    db: Store, clock: FakeClock,
) -> None:
    moderation = make(db, clock, operator=parse_file("ogre\n"))
    await moderation.set_review_channel(GUILD, 77, MOD)
    strike = (await refused(moderation, "an ogre", user=MOD)).strike_id or ""
    await moderation.open_appeal(strike, MOD)
    for approve in (True, False):
        with pytest.raises(UserError, match="your own appeal"):
            await moderation.decide(strike, approve, MOD)
    appeal = await db.read(lambda tx: moderation_store.appeal(tx, strike))
    assert appeal is not None and appeal.state == "pending" and appeal.decided_by is None
    assert len(await db.read(lambda tx: moderation_store.member_strikes(tx, GUILD, MOD))) == 1
    assert (await moderation.decide(strike, True, ALICE)).state == "approved"


async def test_migrate_to_copies_the_moderation_tables(
    tmp_path: Path, pg_server: ThrowawayPostgres, clock: FakeClock,
) -> None:
    guild, member = 2**62 + 3, 2**60 + 5
    async with await SqliteStore.open(tmp_path / "fluxcord.db", migrations=MIGRATIONS) as source:
        moderation = Moderation(source, Policy(), parse_file("ogre\n"), clock=clock,
                                on_event=Events())
        await moderation.add_entry(guild, "red fox", MOD)
        await moderation.set_review_channel(guild, 2**61, MOD)
        await moderation.block(guild, member + 1, "spam", MOD)
        with pytest.raises(ModerationRefusal) as caught:
            await moderation.screen(Subject(guild, member, 2**59, "an ogre", "flux-pro",
                                            {"options": {"steps": 20}}))
        await moderation.open_appeal(caught.value.strike_id or "", member)
        target = await open_store(pg_server.new_database())
        try:
            copied = await copy_rows(source, target, TABLES)
            for table in MODERATION_TABLES:
                assert copied[table] >= 1, table
                rows = await source.read(lambda tx, t=table: tx.dump(t))
                assert await target.read(lambda tx, t=table: tx.dump(t)) == rows
        finally:
            await target.close()


async def test_a_list_with_regexes_is_built_once_off_the_event_loop(
    db: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    moderation = make(db, clock)
    await moderation.add_entry(GUILD, "/b[a4]d+/", MOD)
    await moderation.add_entry(GUILD, "ogre", MOD)
    built: list[str] = []
    real = Blocklist.from_stored.__func__  # type: ignore[attr-defined]

    def recording(cls: type[Blocklist], entries: list[str], source: str = "server"
                  ) -> Blocklist:
        built.append(threading.current_thread().name)
        return real(cls, entries, source)

    monkeypatch.setattr(Blocklist, "from_stored", classmethod(recording))
    # Three screens at once, while the list (new to this process) is being compiled.
    await asyncio.gather(*(moderation.screen(subject(f"a cat {n}", BOB)) for n in range(3)))
    assert len(built) == 1 and built[0] != threading.main_thread().name
    assert (await refused(moderation, "so b4ddd")).strike_id is not None
    assert len(built) == 1  # kept until the entries change
    await moderation.add_entry(GUILD, "troll", MOD)
    await refused(moderation, "a troll")
    assert len(built) == 2


async def test_a_list_whose_build_failed_is_built_again_at_the_next_screen(
    db: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    moderation = make(db, clock)
    await moderation.add_entry(GUILD, "/b[a4]d+/", MOD)
    real = Blocklist.from_stored.__func__  # type: ignore[attr-defined]
    failures = [MemoryError("no room to compile")]

    def failing_once(cls: type[Blocklist], entries: list[str], source: str = "server"
                     ) -> Blocklist:
        if failures:
            raise failures.pop()
        return real(cls, entries, source)

    monkeypatch.setattr(Blocklist, "from_stored", classmethod(failing_once))
    with pytest.raises(MemoryError):
        await moderation.screen(subject("so b4ddd"))
    assert (await refused(moderation, "so b4ddd")).strike_id is not None
