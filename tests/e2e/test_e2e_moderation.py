"""Moderation through Discord (SPEC section 7): blocklist hits refused before any charge
or provider call, strikes to a cooldown on an injected clock, pardon, block, and appeals
decided in the review channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.support.e2e_fixtures import (
    World,
    embed_text,
    make_world,
    private_text,
    results,
    settled,
)
from tests.support.standins.discord_api import Channel, DiscordStandIn, Message, User
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0
START = 50  # the default allowance
COST = 5  # flux-pro


@pytest.fixture
async def clocked(tmp_path: Path, discord_standin: DiscordStandIn,
                  provider_standins: ProviderStandIns, clock: FakeClock
                  ) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins, clock=clock):
        yield world


async def admin(world: World, *path: str, **options: object) -> str:
    ix = await settled(await world.discord.slash(world.general, world.admin, "moderation",
                                                  *path, **options))
    return private_text(ix)


async def imagine(world: World, user: User, prompt: str) -> object:
    return await settled(await world.discord.slash(world.general, user, "imagine",
                                                    prompt=prompt, model="flux-pro"))


async def balance(world: World, user: User) -> int:
    assert world.runner.services is not None
    return (await world.runner.services.credits.balance(world.guild.id, user.id)).total


def provider_calls(world: World) -> int:
    return len(world.providers.onemin.generation_bodies())


async def review_channel(world: World) -> Channel:
    review = world.guild.add_channel("mod-review")
    await world.discord.wait_until(
        lambda: world.runner.bot is not None
        and world.runner.bot.get_channel(review.id) is not None)
    assert "Appeals now go to" in await admin(world, "review-channel", channel=review)
    return review


async def test_a_blocked_term_in_another_case_with_a_zero_width_character_is_refused(
    world: World,
) -> None:
    assert "Added `dragon`" in await admin(world, "blocklist", "add", entry="dragon")
    refused = await imagine(world, world.alice, "a DRA\u200bGON over the sea")
    text = private_text(refused)
    assert "`dragon`" in text and "this server's blocklist" in text
    assert provider_calls(world) == 0
    assert await balance(world, world.alice) == START
    assert results(world.general) == []
    assert not refused.original.components  # no review channel: nothing to appeal
    strikes = await admin(world, "strikes", member=world.alice)
    assert "1 strike in the last 24 hours" in strikes
    assert "dragon" in await admin(world, "blocklist", "show")

    assert "Removed `dragon`" in await admin(world, "blocklist", "remove", entry="DRAGON")
    allowed = await imagine(world, world.alice, "a dragon over the sea")
    assert len(results(world.general)) == 1, private_text(allowed)


async def test_look_alike_letters_and_digits_do_not_get_a_term_past_the_blocklist(
    world: World,
) -> None:
    for entry in ("nipple", "nude", "blood"):
        assert f"Added `{entry}`" in await admin(world, "blocklist", "add", entry=entry)
    # Dotless i, Armenian u and o, small capitals, a digit for a letter.
    for prompt, term in [("a n\u0131pple", "nipple"), ("n\u057dde study", "nude"),
                         ("bl\u0585\u0585d moon", "blood"), ("nu\u1d05\u1d07", "nude"),
                         ("a bl00d moon", "blood")]:
        text = private_text(await imagine(world, world.alice, prompt))
        assert f"`{term}`" in text, (prompt, text)
        await admin(world, "pardon", member=world.alice)  # no cooldown between the tries
    assert provider_calls(world) == 0
    # Armenian, Greek and Russian written as such are not read as English.
    for prompt in ["\u0546\u0578\u0582\u057c\u0568 \u057d\u0565\u0572\u0561\u0576"
                   "\u056b\u0576 \u0567",  # Armenian: the pomegranate is on the table
                   "Ο ήλιος δύει πάνω από τη θάλασσα", "Кошка спит у окна"]:
        private_text(await imagine(world, world.alice, prompt))
    assert len(results(world.general)) == 3
    assert await balance(world, world.alice) == START - 3 * 5


async def test_a_bad_regex_is_refused_when_added(world: World) -> None:
    text = await admin(world, "blocklist", "add", entry="/(a+)+$/")
    assert "Added" not in text
    assert "0 entries" in await admin(world, "blocklist", "show")


async def test_strikes_start_a_cooldown_that_ends_and_a_pardon_clears(
    clocked: World, clock: FakeClock,
) -> None:
    world = clocked
    await admin(world, "blocklist", "add", entry="ogre")
    for n in range(3):
        clock.advance(60)
        last = private_text(await imagine(world, world.alice, f"an ogre number {n}"))
    until = int(clock() + 3600)
    assert f"<t:{until}:t>" in last  # the third strike says until when
    cooling = private_text(await imagine(world, world.alice, "a kitten"))
    assert f"<t:{until}:t>" in cooling and "3 of your prompts" in cooling
    assert provider_calls(world) == 0

    clock.advance(3601)
    await imagine(world, world.alice, "a kitten")
    assert len(results(world.general)) == 1

    for n in range(3):
        await imagine(world, world.alice, f"ogre {n}")
    assert "generate again" in private_text(await imagine(world, world.alice, "a puppy"))
    assert "6 recent strikes" in await admin(world, "pardon", member=world.alice)
    await imagine(world, world.alice, "a puppy")
    assert len(results(world.general)) == 2
    assert "0 strikes" in await admin(world, "strikes", member=world.alice)


async def test_a_blocked_member_is_refused_with_the_reason_until_unblocked(
    world: World,
) -> None:
    assert "Blocked" in await admin(world, "block", member=world.bob, reason="spamming")
    refused = private_text(await imagine(world, world.bob, "a cat"))
    assert "blocked you" in refused and "spamming" in refused
    assert provider_calls(world) == 0 and await balance(world, world.bob) == START
    assert "is blocked: spamming" in await admin(world, "strikes", member=world.bob)
    assert "Unblocked" in await admin(world, "unblock", member=world.bob)
    await imagine(world, world.bob, "a cat")
    assert len(results(world.general)) == 1


async def appeal(world: World, review: Channel, prompt: str) -> tuple[object, Message]:
    """Alice's refused prompt, appealed: her appeal interaction and the review post."""
    refused = await imagine(world, world.alice, prompt)
    original = refused.original
    assert original is not None and original.ephemeral
    (custom_id,) = [c for c in original.custom_ids() if c.startswith("fluxcord:appeal:")]
    clicked = await world.discord.click(original, custom_id, world.alice)
    await clicked.wait_until(lambda ix: ix.original is not None and not ix.original.loading
                             and "sent to" in str(ix.original.content), timeout=TIMEOUT)
    posts = [m for m in review.messages if m.embeds]
    assert len(posts) == 1
    return clicked, posts[0]


async def test_an_appeal_approved_by_a_moderator_runs_the_job_once(world: World) -> None:
    review = await review_channel(world)
    await admin(world, "blocklist", "add", entry="castle")
    clicked, post = await appeal(world, review, "a castle at dawn")
    shown = embed_text(post.embeds[0])
    assert "a castle at dawn" in shown and f"<@{world.alice.id}>" in shown
    assert "castle" in shown and "flux-pro" in shown
    # The refused prompt is only in the review channel.
    assert not any("castle at dawn" in m.content for m in world.general.messages)
    assert provider_calls(world) == 0 and await balance(world, world.alice) == START

    approve = next(c for c in post.custom_ids() if "approve" in c)
    decided = await settled(await world.discord.click(post, approve, world.admin))
    assert "Approved" in private_text(decided)
    assert len(results(world.general)) == 1
    assert provider_calls(world) == 1
    assert await balance(world, world.alice) == START - COST
    await clicked.wait_until(lambda ix: "approved" in str(ix.original.content),
                             timeout=TIMEOUT)
    assert "0 strikes" in await admin(world, "strikes", member=world.alice)
    with pytest.raises(Exception, match="disabled"):
        await world.discord.click(review.messages[-1], approve, world.admin)


async def test_an_appeal_rejected_keeps_the_strike_and_others_cannot_decide(
    world: World,
) -> None:
    review = await review_channel(world)
    await admin(world, "blocklist", "add", entry="castle")
    clicked, post = await appeal(world, review, "a castle at dusk")
    approve = next(c for c in post.custom_ids() if "approve" in c)
    reject = next(c for c in post.custom_ids() if "reject" in c)

    meddled = await settled(await world.discord.click(post, approve, world.bob))
    assert "Manage Messages" in private_text(meddled)
    assert results(world.general) == []

    decided = await settled(await world.discord.click(post, reject, world.admin))
    assert "Rejected" in private_text(decided)
    await clicked.wait_until(lambda ix: "rejected" in str(ix.original.content),
                             timeout=TIMEOUT)
    assert results(world.general) == [] and provider_calls(world) == 0
    assert await balance(world, world.alice) == START
    assert "1 strike in the last 24 hours" in await admin(world, "strikes",
                                                          member=world.alice)


async def test_a_prompt_the_provider_refused_is_a_strike_that_can_be_appealed(
    world: World,
) -> None:
    review = await review_channel(world)
    refused = await imagine(world, world.alice, "something forbidden")
    text = private_text(refused)
    assert "content policy" in text and "credits are back" in text
    assert await balance(world, world.alice) == START
    assert any(c.startswith("fluxcord:appeal:") for c in refused.original.custom_ids())
    assert "provider" in await admin(world, "strikes", member=world.alice)
    assert review.messages == []


async def test_reroll_and_edit_are_checked_like_imagine(world: World) -> None:
    await imagine(world, world.alice, "a red fox")
    message = results(world.general)[0]
    job = message.custom_ids()[0].rsplit(":", 1)[1]
    await admin(world, "blocklist", "add", entry="red fox")

    reroll = await settled(await world.discord.click(message, f"fluxcord:reroll:{job}",
                                                      world.bob))
    assert "`red fox`" in private_text(reroll)
    edit = await world.discord.click(message, f"fluxcord:edit:{job}", world.bob)
    await edit.wait_until(lambda ix: ix.modal is not None, timeout=TIMEOUT)
    assert edit.modal is not None
    submitted = await settled(await world.discord.submit_modal(
        edit.modal["custom_id"], {"prompt": "a RED\u00a0fox, again"}, world.bob, world.general))
    assert "`red fox`" in private_text(submitted)
    assert provider_calls(world) == 1 and len(results(world.general)) == 1
    assert await balance(world, world.bob) == START
    assert "2 strikes" in await admin(world, "strikes", member=world.bob)


async def test_the_review_buttons_work_after_a_restart_and_the_member_is_mentioned(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns,
) -> None:
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("# the operator's own\n/g[o0]blins?/\n", encoding="utf-8")
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  BLOCKLIST_FILE=str(blocklist)):
        review = await review_channel(world)
        clicked, post = await appeal(world, review, "two G0BLINS dancing")
        assert "g[o0]blins?" in embed_text(post.embeds[0])
        assert "the bot's blocklist" in str(clicked.message.content if clicked.message
                                            else "")
        await world.runner.restart()

        approve = next(c for c in post.custom_ids() if "approve" in c)
        decided = await settled(await world.discord.click(post, approve, world.admin))
        assert "image posted" in private_text(decided)
        assert len(results(world.general)) == 1
        assert await balance(world, world.alice) == START - COST
        # The private answer of before the restart is not known any more: a mention.
        told = [m for m in world.general.messages
                if m.content.startswith(f"<@{world.alice.id}> Your appeal was approved")]
        assert len(told) == 1 and "G0BLINS" not in told[0].content
