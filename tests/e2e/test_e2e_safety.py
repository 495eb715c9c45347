"""Safety caps where members really generate: threads, forum posts, voice and news text
chat, and a cap changed while a job waits in the queue (SPEC section 4)."""

from __future__ import annotations

import pytest

from tests.support.e2e_fixtures import World, private_text, results, settled
from tests.support.standins.discord_api import GUILD_NEWS, GUILD_VOICE

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0


async def cap(world: World, level: int, **where: object) -> str:
    ix = await settled(await world.discord.slash(world.general, world.admin, "safety", "cap",
                                                  level=level, **where))
    return private_text(ix)


def sent_tolerance(world: World) -> int:
    return int(world.providers.onemin.generation_bodies()[-1]["promptObject"]["safety_tolerance"])


async def test_a_thread_has_its_parent_channels_cap_and_age_restriction(world: World) -> None:
    assert "now 4" in await cap(world, 4, channel=world.after_dark)
    assert "now 1" in await cap(world, 1, channel=world.general)
    dark_thread = world.guild.add_thread(world.after_dark, "late talk", owner=world.alice)
    plain_thread = world.guild.add_thread(world.general, "chat", owner=world.alice)

    ok = await settled(await world.discord.slash(dark_thread, world.alice, "imagine",
                                                  prompt="a cat", model="flux-pro",
                                                  safety_tolerance=4))
    assert len(results(dark_thread)) == 1, private_text(ok)
    assert sent_tolerance(world) == 4

    refused = await settled(await world.discord.slash(plain_thread, world.alice, "imagine",
                                                       prompt="a cat", model="flux-pro",
                                                       safety_tolerance=2))
    assert "cap of 1" in private_text(refused)
    await settled(await world.discord.slash(plain_thread, world.alice, "imagine",
                                             prompt="a dog", model="flux-pro"))
    assert len(results(plain_thread)) == 1
    assert sent_tolerance(world) == 1  # unset: min(model default, the parent's cap)


async def test_forum_posts_voice_and_news_channels_take_a_cap(world: World) -> None:
    forum = world.guild.add_forum("gallery", nsfw=True)
    voice = world.guild.add_channel("lounge", type=GUILD_VOICE)
    news = world.guild.add_channel("announcements", type=GUILD_NEWS)
    await world.discord.wait_until(
        lambda: world.runner.bot is not None and world.runner.bot.get_channel(news.id) is not None
    )
    assert "now 5" in await cap(world, 5, channel=forum)
    assert "now 3" in await cap(world, 3, channel=voice)
    assert "now 1" in await cap(world, 1, channel=news)
    show = private_text(await settled(await world.discord.slash(
        world.general, world.admin, "safety", "show")))
    assert f"<#{forum.id}>: 5 (channel cap 5, age-restricted)" in show
    assert f"<#{voice.id}>: 2 (channel cap 3)" in show  # SFW_SAFETY_MAX outside age-restricted
    assert f"<#{news.id}>: 1 (channel cap 1)" in show

    post = world.guild.add_thread(forum, "my cats", owner=world.alice)
    ix = await settled(await world.discord.slash(post, world.alice, "imagine", prompt="a cat",
                                                  model="flux-pro", safety_tolerance=5))
    assert len(results(post)) == 1, private_text(ix)
    assert sent_tolerance(world) == 5


async def test_a_cap_lowered_while_a_job_waits_applies_when_it_starts(world: World) -> None:
    services = world.runner.services
    assert services is not None
    assert "now 4" in await cap(world, 4, channel=world.after_dark)
    # Two jobs in flight per member: the third waits in the queue.
    world.providers.onemin.inject("slow", times=2, seconds=1.0)
    busy = [await world.discord.slash(world.after_dark, world.alice, "imagine",
                                      prompt=f"busy {n}", model="flux-pro") for n in range(2)]
    waiting = await world.discord.slash(world.after_dark, world.alice, "imagine",
                                        prompt="bold", model="flux-pro", safety_tolerance=4)
    await waiting.wait_until(lambda ix: ix.original is not None
                             and str(ix.original.content).startswith("Queued"), timeout=TIMEOUT)
    assert "now 2" in await cap(world, 2, channel=world.after_dark)

    await settled(waiting)
    text = private_text(waiting)
    assert "cap changed" in text and "cap of 2" in text and "credits are back" in text
    for ix in busy:
        await settled(ix)
    assert len(results(world.after_dark)) == 2
    bodies = world.providers.onemin.generation_bodies()
    assert all(b["promptObject"].get("safety_tolerance") != 4 for b in bodies)
    assert "bold" not in str(bodies)
    balance = await services.credits.balance(world.guild.id, world.alice.id)
    assert balance.total == 50 - 2 * 5


async def test_a_queued_job_reads_the_channels_age_restriction_when_it_starts(
    world: World,
) -> None:
    assert "now 4" in await cap(world, 4, channel=world.after_dark)
    world.providers.onemin.inject("slow", times=2, seconds=1.0)
    busy = [await world.discord.slash(world.after_dark, world.alice, "imagine",
                                      prompt=f"busy {n}", model="flux-pro") for n in range(2)]
    waiting = await world.discord.slash(world.after_dark, world.alice, "imagine",
                                        prompt="bold", model="flux-pro", safety_tolerance=4)
    await waiting.wait_until(lambda ix: ix.original is not None
                             and str(ix.original.content).startswith("Queued"), timeout=TIMEOUT)
    # A moderator makes the channel no longer age-restricted while the job waits.
    world.guild.set_nsfw(world.after_dark, False)

    text = private_text(await settled(waiting))
    assert "cap of 2" in text and "credits are back" in text
    for ix in busy:
        await settled(ix)
    bodies = world.providers.onemin.generation_bodies()
    assert len(bodies) == 2 and "bold" not in str(bodies)
    assert all(b["promptObject"].get("safety_tolerance") != 4 for b in bodies)


async def test_an_approved_appeal_reads_the_channel_as_it_is_when_approved(
    world: World,
) -> None:
    services = world.runner.services
    assert services is not None
    review = world.guild.add_channel("mod-review")
    await world.discord.wait_until(lambda: world.runner.bot is not None
                                   and world.runner.bot.get_channel(review.id) is not None)
    await settled(await world.discord.slash(world.general, world.admin, "moderation",
                                             "review-channel", channel=review))
    await settled(await world.discord.slash(world.general, world.admin, "moderation",
                                             "blocklist", "add", entry="castle"))
    assert "now 5" in await cap(world, 5, channel=world.after_dark)
    refused = await settled(await world.discord.slash(
        world.after_dark, world.alice, "imagine", prompt="a castle", model="flux-pro",
        safety_tolerance=5))
    (appeal_id,) = [c for c in refused.original.custom_ids() if c.startswith("fluxcord:appeal:")]
    clicked = await world.discord.click(refused.original, appeal_id, world.alice)
    await clicked.wait_until(lambda ix: ix.original is not None
                             and "sent to" in str(ix.original.content), timeout=TIMEOUT)
    (post,) = [m for m in review.messages if m.embeds]
    world.guild.set_nsfw(world.after_dark, False)

    approve = next(c for c in post.custom_ids() if "approve" in c)
    decided = private_text(await settled(await world.discord.click(post, approve, world.admin)))
    assert "did not run" in decided and "cap of 2" in decided
    assert world.providers.onemin.generation_bodies() == []
    assert results(world.after_dark) == []
    balance = await services.credits.balance(world.guild.id, world.alice.id)
    assert balance.total == 50


async def test_a_button_pressed_later_reads_the_thread_parent_as_it_is_then(
    world: World,
) -> None:
    assert "now 4" in await cap(world, 4, channel=world.after_dark)
    thread = world.guild.add_thread(world.after_dark, "late talk", owner=world.alice)
    made = await settled(await world.discord.slash(thread, world.alice, "imagine",
                                                    prompt="a cat", model="flux-pro",
                                                    safety_tolerance=4))
    (result,) = results(thread)
    assert sent_tolerance(world) == 4, private_text(made)
    job = next(c for c in result.custom_ids() if c.startswith("fluxcord:reroll:"))
    world.guild.set_nsfw(world.after_dark, False)

    reroll = await settled(await world.discord.click(result, job, world.alice))
    assert "cap of 2" in private_text(reroll)
    assert len(world.providers.onemin.generation_bodies()) == 1
