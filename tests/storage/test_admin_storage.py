"""Server administration on each engine: role tiers in the credit rules, forbidden models,
the log channel, budget alerts once a day, history pages and the credit report."""

from __future__ import annotations

import csv
import gzip
import io
from typing import TYPE_CHECKING

import pytest

from bot.admin import CeilingExceeded, ModelForbidden, ServerAdmin
from bot.admin.history import history_page
from bot.admin.report import COLUMNS, Report, build_report
from bot.admin.server import log_channel_rule
from bot.credits import Credits, NewJob, OutOfCredits
from bot.errors import UserError
from bot.guilds import Guilds
from bot.jobs.terms import read_job_settings
from bot.settings import Settings
from bot.storage import Store

if TYPE_CHECKING:
    from tests.conftest import FakeClock

GUILD, OTHER, ALICE, BOB, ADMIN = 10, 11, 1, 2, 99
PATRON, WHALE = 500, 501
DAY = 86400
MODELS = ["flux-1.1-pro", "flux-pro", "flux-2-pro", "flux-dev"]


@pytest.fixture
def admin(db: Store, clock: FakeClock) -> ServerAdmin:
    settings = Settings(_env_file=None, DISCORD_TOKEN="t", MAX_ALLOWANCE=500,  # type: ignore[call-arg]
                        MAX_DAILY_BUDGET=5000)
    return ServerAdmin(db, settings, clock)


def job(cost: int, user: int = ALICE, roles: tuple[int, ...] = (), model: str = "flux-pro"
        ) -> NewJob:
    return NewJob(guild_id=GUILD, channel_id=20, user_id=user, model=model, prompt="a fox",
                  cost=cost, seed=7, role_ids=roles)


async def test_the_highest_tier_of_the_roles_held_now_applies(
    credits: Credits, admin: ServerAdmin
) -> None:
    await admin.set_tier(GUILD, PATRON, 120, None)
    await admin.set_tier(GUILD, WHALE, 300, 48)
    await admin.set_tier(OTHER, 777, 400, None)  # another server's tier counts for nothing
    plain = await credits.balance(GUILD, ALICE)
    assert (plain.total, plain.tier_role_id) == (50, None)
    patron = await credits.balance(GUILD, ALICE, (PATRON,))
    assert (patron.total, patron.tier_role_id, patron.period_hours) == (120, PATRON, 24)
    both = await credits.balance(GUILD, ALICE, (PATRON, WHALE, 777))
    assert (both.total, both.tier_role_id, both.period_hours) == (300, WHALE, 48)

    # Reserving with the roles of the moment: the whale spends past the server's 50.
    await credits.reserve(job(200, roles=(WHALE,)))
    assert (await credits.balance(GUILD, ALICE, (WHALE,))).total == 100
    # Without the role, what was spent still counts against the server's allowance.
    assert (await credits.balance(GUILD, ALICE)).total == 0
    with pytest.raises(OutOfCredits):
        await credits.reserve(job(1))
    assert await admin.remove_tier(GUILD, WHALE) is True
    assert await admin.remove_tier(GUILD, WHALE) is False
    assert (await credits.balance(GUILD, ALICE, (WHALE, PATRON))).tier_role_id == PATRON
    assert await credits.audit() == []


async def test_a_tier_below_the_servers_allowance_changes_nothing(
    credits: Credits, admin: ServerAdmin, guilds: Guilds
) -> None:
    await admin.set_tier(GUILD, PATRON, 30, None)
    balance = await credits.balance(GUILD, ALICE, (PATRON,))
    assert (balance.total, balance.tier_role_id) == (50, None)


async def test_ceilings_refuse_and_change_nothing(admin: ServerAdmin) -> None:
    with pytest.raises(CeilingExceeded, match="MAX_ALLOWANCE"):
        await admin.set_tier(GUILD, PATRON, 501, None)
    with pytest.raises(CeilingExceeded, match="MAX_DAILY_BUDGET"):
        admin.check_budget(5001)
    admin.check_budget(5000)
    admin.check_allowance(500)
    assert await admin.tiers(GUILD) == []


async def test_a_forbidden_model_is_refused_naming_the_allowed_ones(admin: ServerAdmin
                                                                    ) -> None:
    await admin.check_model(GUILD, "flux-pro", MODELS)
    assert await admin.set_model_allowed(GUILD, "flux-pro", False) == {"flux-pro"}
    with pytest.raises(ModelForbidden) as refused:
        await admin.check_model(GUILD, "flux-pro", MODELS)
    assert "`flux-1.1-pro`" in refused.value.message and "`flux-pro`" not in refused.value.message
    await admin.check_model(OTHER, "flux-pro", MODELS)  # only in that server
    await admin.check_model(0, "flux-pro", MODELS)  # nor in direct messages
    for model in ("flux-1.1-pro", "flux-2-pro"):
        await admin.set_model_allowed(GUILD, model, False)
    with pytest.raises(UserError, match="every model"):
        await admin.set_model_allowed(GUILD, "flux-dev", False)
    assert "flux-dev" not in await admin.forbidden_models(GUILD)
    assert await admin.set_model_allowed(GUILD, "flux-pro", True) == {"flux-1.1-pro",
                                                                       "flux-2-pro"}


async def test_the_log_channel_warns_its_admin_once_per_choice(admin: ServerAdmin) -> None:
    assert await admin.log_channel(GUILD) is None
    await admin.set_log_channel(GUILD, 300, ADMIN)
    assert await admin.first_warning(GUILD, 300) is True
    assert await admin.first_warning(GUILD, 300) is False
    assert await admin.first_warning(GUILD, 301) is False  # not the channel in force
    await admin.set_log_channel(GUILD, 300, BOB)  # chosen again: a new warning is due
    target = await admin.log_channel(GUILD)
    assert target is not None and (target.set_by, target.warned) == (BOB, False)
    assert await admin.first_warning(GUILD, 300) is True
    await admin.set_log_channel(GUILD, None, ADMIN)
    assert await admin.log_channel(GUILD) is None


async def test_a_jobs_settings_say_whether_the_server_has_a_log_channel(
    admin: ServerAdmin, db: Store,
) -> None:
    async def logs(guild_id: int) -> bool:
        found = await read_job_settings(db, guild_id, log_channel_rule)
        return found.log_channel

    assert await logs(GUILD) is False
    await admin.set_log_channel(GUILD, 300, ADMIN)
    assert (await logs(GUILD), await logs(OTHER), await logs(0)) == (True, False, False)
    await admin.set_log_channel(GUILD, None, ADMIN)
    assert await logs(GUILD) is False


async def test_budget_alerts_come_once_per_level_and_day(
    credits: Credits, admin: ServerAdmin, guilds: Guilds, clock: FakeClock
) -> None:
    await guilds.set_budget(GUILD, 100)
    await credits.grant(GUILD, ALICE, 100, "prize", ADMIN)
    await credits.reserve(job(70))
    assert await admin.budget_alerts(GUILD, 100) == []
    await credits.reserve(job(10))
    assert await admin.budget_alerts(GUILD, 100) == [80]
    assert await admin.budget_alerts(GUILD, 100) == []
    await credits.reserve(job(20))
    assert await admin.budget_alerts(GUILD, 100) == [100]
    assert await admin.budget_alerts(GUILD, 100) == []
    clock.advance(DAY)
    await credits.grant(GUILD, ALICE, 100, "prize", ADMIN)
    await credits.reserve(job(100))
    assert await admin.budget_alerts(GUILD, 100) == [80, 100]  # a new day, both again


async def test_history_pages_newest_first(credits: Credits, clock: FakeClock, db: Store
                                          ) -> None:
    for n in range(1, 24):
        clock.advance(1)
        await credits.grant(GUILD, ALICE, n, f"gift {n}", ADMIN)
    first = await history_page(db, GUILD, ALICE, 0)
    assert (first.pages, first.total) == (3, 23)
    assert [e.delta for e in first.entries] == list(range(23, 13, -1))
    last = await history_page(db, GUILD, ALICE, 9)  # past the end: the last page
    assert last.page == 2 and [e.delta for e in last.entries] == [3, 2, 1]
    empty = await history_page(db, GUILD, BOB, 0)
    assert (empty.pages, empty.entries) == (1, [])


async def test_a_reason_typed_as_a_formula_is_text_in_the_report(
    credits: Credits, db: Store
) -> None:
    await credits.grant(GUILD, ALICE, 10, "=cmd|' /C calc'!A0", ADMIN)
    await credits.grant(GUILD, ALICE, -5, "-fix", ADMIN)

    rows = _rows(await build_report(db, GUILD, 0.0, None, 1 << 20, "r"))

    assert [r["reason"] for r in rows] == ["'=cmd|' /C calc'!A0", "'-fix"]
    # The deltas are numbers a spreadsheet adds up, the negative one too.
    assert [r["delta"] for r in rows] == ["10", "-5"]


def _rows(report: Report) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for file in report.files:
        data = gzip.decompress(file.data) if file.filename.endswith(".gz") else file.data
        reader = csv.DictReader(io.StringIO(data.decode()))
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows += list(reader)
    return rows


async def _history(credits: Credits, clock: FakeClock) -> None:
    await credits.grant(GUILD, ALICE, 40, "prize", ADMIN)
    await credits.grant(GUILD, BOB, 3, "welcome", ADMIN)
    await credits.grant(GUILD, BOB, -10, "abuse", ADMIN)  # really removes 3
    for n in range(12):
        clock.advance(60)
        charged = await credits.reserve(job(7, user=ALICE if n % 3 else BOB,
                                            model=MODELS[n % 4]))
        if n % 4 == 0:
            await credits.refund(charged.id, "onemin: ServerError")
        else:
            await credits.settle(charged.id, 1000 + n)
    await credits.reserve(job(2, user=BOB))  # still running
    await credits.grant(OTHER, ALICE, 5, "elsewhere", ADMIN)


async def test_the_report_streams_every_row_and_adds_up(
    credits: Credits, clock: FakeClock, db: Store
) -> None:
    await _history(credits, clock)
    # Pages of 4 rows: the report reads the ledger in many pages.
    report = await build_report(db, GUILD, 0.0, None, 1 << 20, "r", page_rows=4)
    assert report.how == "plain" and [f.filename for f in report.files] == ["r.csv"]
    rows = _rows(report)
    ledgers = {u: await credits.ledger(GUILD, u) for u in (ALICE, BOB)}
    assert len(rows) == sum(len(entries) for entries in ledgers.values())
    for user, entries in ledgers.items():
        for bucket in ("allowance", "bonus"):
            assert sum(int(r["delta"]) for r in rows
                       if r["member_id"] == str(user) and r["bucket"] == bucket) == sum(
                           e.delta for e in entries if e.bucket == bucket)
    assert {r["model"] for r in rows if r["job_id"]} == set(MODELS)
    s = report.summary
    assert (s.spent, s.refunded, s.granted) == (86, 21, 40)
    assert (s.jobs_posted, s.jobs_failed, s.jobs_running) == (9, 3, 1)
    assert s.spent - s.refunded == sum(s.by_member.values()) == sum(s.by_model.values())
    assert s.top_spenders[0] == (ALICE, 42)  # 8 jobs of 7, two refunded
    assert await credits.audit() == []

    bob = _rows(await build_report(db, GUILD, 0.0, BOB, 1 << 20, "b", page_rows=4))
    assert bob and {r["member_id"] for r in bob} == {str(BOB)}
    recent = _rows(await build_report(db, GUILD, clock() - 150, None, 1 << 20, "x"))
    assert 0 < len(recent) < len(rows)


async def test_the_report_is_compressed_then_split_to_fit(
    credits: Credits, clock: FakeClock, db: Store
) -> None:
    await _history(credits, clock)
    plain = (await build_report(db, GUILD, 0.0, None, 1 << 20, "r")).files[0].data
    compressed = await build_report(db, GUILD, 0.0, None, len(plain) - 1, "r")
    assert compressed.how == "compressed"
    assert [f.filename for f in compressed.files] == ["r.csv.gz"]
    assert gzip.decompress(compressed.files[0].data) == plain
    split = await build_report(db, GUILD, 0.0, None, 300, "r")
    assert split.how == "split" and len(split.files) > 2
    assert all(len(f.data) <= 300 for f in split.files)
    assert [f.filename for f in split.files][:2] == ["r-part1.csv", "r-part2.csv"]
    assert _rows(split) == _rows(compressed)
