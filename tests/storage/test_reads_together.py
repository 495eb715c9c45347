"""The reads a job makes in one statement each (a member's credit rules, a server's
settings with its channel caps, its log channel with its language) give exactly what
the separate reads give, values and types, on both engines, for a server and member
with nothing stored, and as settings, tiers, spend and caps are added."""

from __future__ import annotations

from functools import partial

from bot.admin import store as admin_store
from bot.credits import store
from bot.credits.rows import MemberRow
from bot.credits.store import RoleTier
from bot.storage import Store, Transaction

G, U, DAY = 1_234_567_890_123_456_789, 987_654_321_987_654_321, "2026-12-07"


async def _separately(tx: Transaction, tiers: bool) -> tuple[object, ...]:
    return (await store.guild_config(tx, G), await store.member(tx, G, U),
            sorted(await store.role_tiers(tx, G), key=lambda t: t.role_id) if tiers else [],
            await store.budget_spent(tx, G, DAY))


async def _together(tx: Transaction, tiers: bool) -> tuple[object, ...]:
    r = await store.member_credits(tx, G, U, DAY, tiers=tiers)
    return (r.config, r.member, sorted(r.tiers, key=lambda t: t.role_id), r.budget_spent)


async def _check(db: Store) -> None:
    for tiers in (False, True):
        a = await db.read(partial(_separately, tiers=tiers))
        b = await db.read(partial(_together, tiers=tiers))
        assert a == b, (a, b)
        for x, y in zip(a, b, strict=True):
            assert repr(x) == repr(y)
        c1 = await db.read(lambda tx: store.config_and_caps(tx, G))
        c2 = (await db.read(lambda tx: store.guild_config(tx, G)),
              await db.read(lambda tx: store.channel_caps(tx, G)))
        assert repr(c1) == repr(c2)
        l1 = await db.read(lambda tx: admin_store.has_log_channel_and_language(tx, G))
        l2 = (await db.read(lambda tx: admin_store.log_channel(tx, G)) is not None,
              await db.read(lambda tx: admin_store.language(tx, G)))
        assert l1 == l2, (l1, l2)


async def test_the_reads_made_together_give_what_the_separate_reads_give(db: Store) -> None:
    await _check(db)
    await db.write(lambda tx: store.update_guild_config(tx, G, default_model="flux-dev"))
    await _check(db)
    await db.write(lambda tx: store.update_guild_config(tx, G, allowance=5, period_hours=3,
                                                       daily_budget=7, safety_cap=2))
    await _check(db)
    await db.write(lambda tx: store.put_member(tx, MemberRow(G, U, 1_700_000_000, 0, 0)))
    await _check(db)
    await db.write(lambda tx: store.put_member(tx, MemberRow(G, U, 1_700_000_000, 3, 9)))
    await db.write(lambda tx: store.set_role_tier(tx, RoleTier(G, 2**62, 40, None)))
    await db.write(lambda tx: store.set_role_tier(tx, RoleTier(G, 5, 40, 12)))
    await db.write(lambda tx: store.add_budget_spend(tx, G, DAY, 4))
    await db.write(lambda tx: store.set_channel_cap(tx, G, 2**60, 3))
    await _check(db)
    await db.write(lambda tx: store.add_budget_spend(tx, G, DAY, -4))
    await _check(db)
