"""Preferences, presets and recent prompts on every engine (the `db` fixture runs each
test on SQLite and PostgreSQL): each member sees only their own, in their own server."""

from __future__ import annotations

import re

import pytest

from bot.credits import CreditDefaults, Credits, NewJob
from bot.errors import UserError
from bot.presets import MAX_PRESETS, Presets
from bot.presets.service import PresetNotFound
from bot.storage import Store
from tests.conftest import FakeClock

GUILD, ALICE, BOB = 2**60 + 5, 2**60 + 1, 2**60 + 2


async def _job(db: Store, clock: FakeClock, prompt: str, user: int = ALICE,
               guild: int = GUILD) -> None:
    credits = Credits(db, CreditDefaults(allowance=1000), clock)
    await credits.reserve(NewJob(guild_id=guild, channel_id=2**62, user_id=user,
                                 model="flux-dev", prompt=prompt, cost=1, seed=1))
    clock.advance(1)


async def test_preferences_are_merged_checked_and_kept_per_member(
    db: Store, clock: FakeClock
) -> None:
    power = Presets(db, clock=clock)
    assert await power.preferences(GUILD, ALICE) == {}
    await power.set_preferences(GUILD, ALICE, {"aspect_ratio": "16:9"})
    prefs = await power.set_preferences(GUILD, ALICE, {"prompt_suffix": "  film   grain "})
    assert prefs == {"aspect_ratio": "16:9", "prompt_suffix": "film grain"}
    assert await power.preferences(GUILD, ALICE) == prefs
    assert await power.preferences(GUILD, BOB) == {}
    assert await power.preferences(GUILD + 1, ALICE) == {}

    # flux-2-pro takes no webp: refused when set, naming the models that take it.
    with pytest.raises(UserError, match=re.escape("does not work with FLUX.2 [pro] (`flux-2-pro`). "
                                                  "It works with FLUX1.1 [pro] (`flux-1.1-pro`)")):
        await power.set_preferences(GUILD, ALICE, {"model": "flux-2-pro",
                                                   "output_format": "webp"})
    assert await power.preferences(GUILD, ALICE) == prefs  # nothing written

    await power.clear_preferences(GUILD, ALICE)
    assert await power.preferences(GUILD, ALICE) == {}


async def test_presets_are_per_member_replaced_by_name_and_at_most_25(
    db: Store, clock: FakeClock
) -> None:
    power = Presets(db, clock=clock)
    preset, replaced = await power.save_preset(GUILD, ALICE, "Fast", "flux-dev",
                                               {"steps": 10, "go_fast": True})
    assert not replaced and preset.options == {"model": "flux-dev", "steps": 10,
                                               "go_fast": True}
    _, replaced = await power.save_preset(GUILD, ALICE, "FAST", "flux-dev", {"steps": 12})
    assert replaced
    assert (await power.preset(GUILD, ALICE, "fast")).options == {"model": "flux-dev",
                                                                 "steps": 12}
    with pytest.raises(PresetNotFound):
        await power.preset(GUILD, BOB, "fast")  # Alice's only
    with pytest.raises(PresetNotFound) as missing:  # the name shown as typed
        await power.preset(GUILD, ALICE, "**bold** <@1>")
    assert missing.value.message == ("You have no preset “\\*\\*bold\\*\\* <\u200b@\u200b1>” "
                                     "here. See `/preset list`.")
    with pytest.raises(UserError, match=re.escape("`go_fast: True` does not work with "
                                                  "FLUX.2 [pro] (`flux-2-pro`). It works with "
                                                  "FLUX.1 [dev] (`flux-dev`)")):
        await power.save_preset(GUILD, ALICE, "bad", "flux-2-pro", {"go_fast": True})

    for n in range(MAX_PRESETS - 1):
        await power.save_preset(GUILD, ALICE, f"p{n:02}", None, {"seed": n})
    with pytest.raises(UserError, match="25 presets"):
        await power.save_preset(GUILD, ALICE, "one more", None, {"seed": 1})
    await power.save_preset(GUILD, ALICE, "p00", None, {"seed": 7})  # a replacement fits
    await power.save_preset(GUILD, BOB, "one more", None, {"seed": 1})  # Bob has his own
    assert len(await power.presets(GUILD, ALICE)) == MAX_PRESETS
    assert await power.preset_names(GUILD, BOB, "") == ["one more"]
    assert await power.preset_names(GUILD, ALICE, "as") == ["FAST"]  # the name last saved

    await power.delete_preset(GUILD, ALICE, "fast")
    with pytest.raises(PresetNotFound):
        await power.delete_preset(GUILD, ALICE, "fast")


async def test_recent_prompts_are_the_members_own_newest_first_once_each(
    db: Store, clock: FakeClock
) -> None:
    power = Presets(db, clock=clock)
    for prompt in ("a red Fox", "a blue whale", "a red fox", "a red Fox", "Quiet harbour"):
        await _job(db, clock, prompt)
    await _job(db, clock, "a red fox by Bob", user=BOB)
    await _job(db, clock, "a red fox elsewhere", guild=GUILD + 1)
    await _job(db, clock, "a red fox " + "x" * 100)  # too long for a Discord choice

    assert await power.recent_prompts(GUILD, ALICE, "RED") == ["a red Fox", "a red fox"]
    assert await power.recent_prompts(GUILD, ALICE, "") == [
        "Quiet harbour", "a red Fox", "a red fox", "a blue whale"]
    assert await power.recent_prompts(GUILD, BOB, "fox") == ["a red fox by Bob"]
