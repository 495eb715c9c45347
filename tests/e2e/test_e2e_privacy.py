"""A member's own data end to end, on both engines (SPEC section 13): /privacy export
holds everything kept about them; /privacy forget-me asks first, then erases it in one
go (a job running at the time included), edits the review channel's post of their
prompt, deletes their board post, and leaves the credits as they were."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import cogs.common.job.confirm
from bot.credits import store as credits_store
from tests.conftest import FakeClock
from tests.support.e2e_fixtures import (
    World,
    embed_text,
    make_world,
    private_embed,
    private_text,
    results,
    settled,
)
from tests.support.standins.discord_api import Channel, DiscordStandIn, Message, Perm, User
from tests.support.standins.discord_models import walk_components
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0
DAY = 86400
ERASED_NOTE = "(erased at the member's request)"
# Every text of Alice's that forget-me must erase.
SECRETS = ("velvet lighthouse", "saffron dragon", "cobalt pending", "mossy-preset",
           "quartz suffix", "amber quay")


@pytest.fixture(params=("sqlite", "postgresql"))
async def world(request: pytest.FixtureRequest, tmp_path: Path,
                discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
                ) -> AsyncIterator[World]:
    settings: dict[str, Any] = {"DEFAULT_ALLOWANCE": 500}
    if request.param == "postgresql":
        settings["DATABASE_URL"] = request.getfixturevalue("pg_server").new_database()
    async for world in make_world(tmp_path, discord_standin, provider_standins, **settings):
        yield world


async def command(world: World, user: User, *path: str, **options: Any) -> Any:
    return await settled(await world.discord.slash(world.general, user, *path, **options))


async def imagine(world: World, user: User, prompt: str, **options: Any) -> Message:
    before = len(results(world.general))
    ix = await command(world, user, "imagine", prompt=prompt, **options)
    assert len(results(world.general)) == before + 1, private_text(ix)
    await ix.wait_until(lambda ix: "left." in str(ix.original.content), timeout=TIMEOUT)
    return results(world.general)[-1]


async def export(world: World, user: User) -> tuple[str, dict[str, Any]]:
    """The member's export: its text as the file holds it, and the document."""
    ix = await command(world, user, "privacy", "export")
    original = ix.original
    assert original.ephemeral and len(original.attachments) == 1, original.content
    attachment = original.attachments[0]
    data = attachment.data
    if attachment.filename.endswith(".gz"):
        data = gzip.decompress(data)
    text = data.decode()
    return text, json.loads(text)


def button(message: Message, label: str) -> str:
    (found,) = [c["custom_id"] for c in walk_components(message.components)
                if c.get("label") == label]
    return str(found)


async def forget_me(world: World, user: User, answer: str = "Confirm") -> str:
    ix = await world.discord.slash(world.general, user, "privacy", "forget-me")
    await ix.wait_until(lambda ix: ix.original is not None and "Confirm" in str(
        ix.original.content) and ix.original.components, timeout=TIMEOUT)
    assert ix.original.ephemeral
    question = str(ix.original.content)
    assert "presets" in question and "balances" in question
    # Its clicks are left to its own view, not to a kept question's Confirm.
    assert int(ix.id) in cogs.common.job.confirm.WAITING
    click = await world.discord.click(ix.original, button(ix.original, answer), user)
    await ix.wait_until(lambda ix: str(ix.original.content).startswith(("Done", "Nothing")),
                        timeout=TIMEOUT)
    # One answer to the click, the question's own: a kept question's Confirm (after a
    # restart) once answered it too, saying the question had expired.
    assert len(click.callbacks) == 1 and click.rejected == [] and click.followups == [], (
        click.callbacks, click.rejected, click.followups)
    return str(ix.original.content)


async def ready(world: World, channel: Channel) -> None:
    await world.discord.wait_until(lambda: world.runner.bot is not None
                                   and world.runner.bot.get_channel(channel.id) is not None)


async def test_export_holds_everything_then_forget_me_erases_it_everywhere(
    world: World,
) -> None:
    services = world.runner.services
    assert services is not None
    alice, guild = world.alice, world.guild
    curator = world.discord.add_user("curator", permissions=Perm.MANAGE_CHANNELS)
    review = guild.add_channel("mod-review")
    log_channel = guild.add_channel("admin-log")
    await ready(world, review)
    await ready(world, log_channel)
    await command(world, world.admin, "moderation", "review-channel", channel=review)
    await command(world, world.admin, "server", "log-channel", channel=log_channel)
    await command(world, world.admin, "moderation", "blocklist", "add", entry="dragon")

    # Alice's data: preferences, a preset, a posted image on a board, an appealed refusal.
    await command(world, alice, "preferences", "set", prompt_suffix="quartz suffix")
    await command(world, alice, "preset", "save", name="mossy-preset", seed=11)
    posted = await imagine(world, alice, "a velvet lighthouse")
    ix = await command(world, curator, "board", "create", name="Mood")
    assert "is ready" in private_text(ix)
    (thread,) = guild.threads
    add = next(c for c in posted.custom_ids() if c.startswith("fluxcord:board-add:"))
    added = await settled(await world.discord.click(posted, add, alice))
    assert "Added" in private_text(added)
    (board_post,) = [m for m in thread.messages if m.attachments]
    # Her image that Bob added: his item stays, without her prompt.
    quay = await imagine(world, alice, "an amber quay")
    add = next(c for c in quay.custom_ids() if c.startswith("fluxcord:board-add:"))
    assert "Added" in private_text(await settled(await world.discord.click(quay, add,
                                                                           world.bob)))
    (bobs_post,) = [m for m in thread.messages if m.attachments and m is not board_post]
    assert "amber quay" in bobs_post.embeds[0]["description"]
    refused = await command(world, alice, "imagine", prompt="a saffron dragon",
                            model="flux-pro")
    appeal = next(c for c in refused.original.custom_ids() if c.startswith("fluxcord:appeal:"))
    await settled(await world.discord.click(refused.original, appeal, alice))
    await world.discord.wait_until(lambda: any(m.embeds for m in review.messages))
    (review_post,) = [m for m in review.messages if m.embeds]
    assert "saffron dragon" in review_post.embeds[0]["description"]

    text, document = await export(world, alice)
    for secret in SECRETS:
        assert (secret in text) == (secret != "cobalt pending"), secret
    assert document["member_id"] == str(alice.id)
    assert set(document["about"]) >= {"balances", "ledger", "jobs", "presets", "preferences",
                                      "strikes", "appeals", "board_items", "credits_now"}
    assert [p["name"] for p in document["presets"]] == ["mossy-preset"]
    balance = (await services.credits.balance(guild.id, alice.id)).total
    assert balance < 500
    assert document["credits_now"] == [{"guild_id": str(guild.id), "credits": balance}]
    assert sum(row["delta"] for row in document["ledger"]) == balance - 500

    # Cancel first: nothing goes.
    assert await forget_me(world, alice, "Cancel") == "Nothing was erased."
    assert "velvet lighthouse" in (await export(world, alice))[0]

    # A job of hers is at the provider when she confirms.
    onemin = world.providers.onemin
    onemin.inject("slow", times=1, seconds=60)
    running = await world.discord.slash(world.general, alice, "imagine",
                                        prompt="a cobalt pending", model="flux-pro")
    await world.discord.wait_until(lambda: len(onemin.generation_bodies()) == 1,
                                   timeout=TIMEOUT)
    ledger_before = await services.store.read(
        lambda tx: credits_store.ledger(tx, guild.id, alice.id))
    done = await forget_me(world, alice)
    assert done.startswith("Done"), done
    onemin.release()
    await settled(running)
    assert len(results(world.general)) == 3  # the running job still finished and posted

    # The credits are as they were: the ledger keeps its rows (and the running job's).
    ledger_after = await services.store.read(
        lambda tx: credits_store.ledger(tx, guild.id, alice.id))
    assert ledger_after[:len(ledger_before)] == ledger_before
    assert (await services.credits.balance(guild.id, alice.id)).total == balance - 5

    # Discord: the review post no longer shows the prompt; the board post is gone; the
    # log channel says she used it, without any of it.
    assert review_post.embeds[0]["description"] == ERASED_NOTE
    assert not review_post.custom_ids()
    assert board_post.deleted
    assert not bobs_post.deleted and bobs_post.embeds[0]["description"] == ERASED_NOTE
    assert f"<@{world.bob.id}>" in str(bobs_post.embeds[0]["fields"])  # the rest stays
    logged = [m.content for m in log_channel.messages if "forget-me" in m.content]
    assert logged == [f"<@{alice.id}> used /privacy forget-me."]

    # Nothing of it shows again anywhere she looks.
    history = private_text(await command(world, alice, "history"))
    assert "no images" in history
    presets = private_text(await command(world, alice, "preset", "list"))
    assert "no presets" in presets
    suggest = await world.discord.autocomplete(world.general, alice, "imagine",
                                               focused="prompt", prompt="")
    await suggest.wait_until(lambda ix: ix.choices is not None, timeout=TIMEOUT)
    assert suggest.choices == []
    text, document = await export(world, alice)
    for secret in SECRETS:
        assert secret not in text, secret
    assert document["presets"] == [] and document["preferences"] == []
    # Only Bob's item of her image is left, and it says nothing of her prompt.
    assert [item["added_by"] for item in document["board_items"]] == [str(world.bob.id)]
    assert all(job["prompt"] == "" for job in document["jobs"]) and len(document["jobs"]) == 3
    assert len(document["ledger"]) == len(ledger_after)

    # Again: nothing more to erase, and nothing breaks.
    assert (await forget_me(world, alice)).startswith("Done")
    # A button under an erased result says why it cannot make it again.
    reroll = next(c for c in posted.custom_ids() if c.startswith("fluxcord:reroll:"))
    again = await settled(await world.discord.click(posted, reroll, alice))
    assert "erased" in private_text(again)


@pytest.fixture(params=("sqlite", "postgresql"))
async def clocked(request: pytest.FixtureRequest, tmp_path: Path,
                  discord_standin: DiscordStandIn, provider_standins: ProviderStandIns,
                  clock: FakeClock) -> AsyncIterator[World]:
    settings: dict[str, Any] = {"MAX_RETENTION_DAYS": 30}
    if request.param == "postgresql":
        settings["DATABASE_URL"] = request.getfixturevalue("pg_server").new_database()
    async for world in make_world(tmp_path, discord_standin, provider_standins, clock=clock,
                                  **settings):
        yield world


async def test_an_export_asked_for_again_and_again_is_refused_for_a_minute(
    world: World,
) -> None:
    for _ in range(3):
        await export(world, world.bob)
    ix = await command(world, world.bob, "privacy", "export")
    text = private_text(ix)
    assert text.startswith("You did this a moment ago. Try again <t:") and text.endswith(":R>.")
    assert not ix.original.attachments
    await export(world, world.alice)  # another member's are their own


async def test_a_servers_retention_erases_old_prompts_and_keeps_the_credits(
    clocked: World, clock: FakeClock,
) -> None:
    world = clocked
    services = world.runner.services
    assert services is not None

    async def retention(**options: Any) -> str:
        return private_text(await command(world, world.admin, "server", "retention",
                                          **options))

    assert "after 30 days (the bot's maximum)" in await retention()
    assert "between 1 and 30 days" in await retention(days=31)
    assert "after 7 days (chosen here)" in await retention(days=7)
    settings = await command(world, world.admin, "server", "settings")
    assert "erased after 7 days" in str(settings.original.embeds)

    await imagine(world, world.alice, "an amber harbour")
    ledger = await services.store.read(
        lambda tx: credits_store.ledger(tx, world.guild.id, world.alice.id))
    member = await services.store.read(
        lambda tx: credits_store.member(tx, world.guild.id, world.alice.id))
    clock.advance(6 * DAY)
    await imagine(world, world.bob, "a recent meadow")
    assert await services.privacy.expire() == 0  # nothing is 7 days old yet
    clock.advance(2 * DAY)
    assert await services.privacy.expire() == 1  # Alice's job, Bob's is 2 days old

    assert "no images" in private_text(await command(world, world.alice, "history"))
    text, document = await export(world, world.alice)
    assert "amber harbour" not in text and document["jobs"][0]["prompt"] == ""
    assert "recent meadow" in embed_text(private_embed(await command(world, world.bob,
                                                                     "history")))
    # The credits are untouched.
    assert await services.store.read(
        lambda tx: credits_store.ledger(tx, world.guild.id, world.alice.id)) == ledger
    assert await services.store.read(
        lambda tx: credits_store.member(tx, world.guild.id, world.alice.id)) == member


async def test_without_a_retention_of_its_own_a_server_keeps_prompts_at_most_the_maximum(
    clocked: World, clock: FakeClock,
) -> None:
    world = clocked
    services = world.runner.services
    assert services is not None
    await imagine(world, world.alice, "an amber harbour")
    clock.advance(29 * DAY)
    assert await services.privacy.expire() == 0
    clock.advance(2 * DAY)
    assert await services.privacy.expire() == 1
    assert "amber harbour" not in (await export(world, world.alice))[0]
