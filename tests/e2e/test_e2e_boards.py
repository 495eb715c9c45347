"""Moodboards end to end (SPEC section 9): boards as threads and forum posts, a board's
style applied to a job, Add to board, contact sheets, /history, and who may do what."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.boards.export import read_csv
from bot.boards.sheet import layout_for
from bot.boards.thumbs import THUMB_SIDE
from bot.credits import NewJob
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
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio

TIMEOUT = 15.0


@pytest.fixture
async def world(tmp_path: Path, discord_standin: DiscordStandIn,
                provider_standins: ProviderStandIns) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  DEFAULT_ALLOWANCE=500):
        yield world


@pytest.fixture
def curator(world: World) -> User:
    """A member who may manage channels, and so boards."""
    return world.discord.add_user("curator", permissions=Perm.MANAGE_CHANNELS)


async def board(world: World, user: User, *path: str, **options: Any) -> Any:
    """`/board path... options` in #general, once answered."""
    return await settled(await world.discord.slash(world.general, user, "board", *path,
                                                   **options))


async def create_board(world: World, curator: User, name: str, **options: Any) -> Channel:
    """Makes a board and returns its thread."""
    known = set(world.guild.threads)
    ix = await board(world, curator, "create", name=name, **options)
    assert "is ready" in private_text(ix), private_text(ix)
    (thread,) = [t for t in world.guild.threads if t not in known]
    return thread


async def imagine(world: World, user: User, prompt: str, **options: Any) -> Message:
    """A posted result of `user`'s."""
    before = len(results(world.general))
    ix = await settled(await world.discord.slash(world.general, user, "imagine",
                                                 prompt=prompt, **options))
    posted = results(world.general)
    assert len(posted) == before + 1, private_text(ix)
    # The last word comes once the job is settled.
    await ix.wait_until(lambda ix: "left." in str(ix.original.content), timeout=TIMEOUT)
    return posted[-1]


def add_button(message: Message) -> str:
    return next(c for c in message.custom_ids() if c.startswith("fluxcord:board-add:"))


async def add(world: World, message: Message, user: User) -> Any:
    return await settled(await world.discord.click(message, add_button(message), user))


def field(message: Message, name: str) -> str:
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    return str(fields[name])


async def test_a_board_is_a_thread_in_a_text_channel_or_a_post_in_a_forum(
    world: World, curator: User
) -> None:
    thread = await create_board(world, curator, "Mood")
    assert thread.parent is world.general
    assert "Mood" in thread.name
    forum = world.guild.add_forum("gallery")
    post = await create_board(world, curator, "Gallery refs", channel=forum)
    assert post.parent is forum
    assert "Gallery refs" in post.name
    assert post.messages, "a forum post starts with a message"
    # Made from inside a post, a board is another post of that forum.
    ix = await settled(await world.discord.slash(post, curator, "board", "create",
                                                 name="Sketches"))
    assert "is ready" in private_text(ix)
    assert world.guild.threads[-1].parent is forum
    # Names are unique per server, whatever their case.
    ix = await board(world, curator, "create", name="MOOD")
    assert "already has a board called “Mood”" in private_text(ix)
    assert len(world.guild.threads) == 3
    listed = embed_text(private_embed(await board(world, curator, "list")))
    assert f"**Mood**: 0 images · <#{thread.id}>" in listed
    assert f"**Gallery refs**: 0 images · <#{post.id}>" in listed


async def test_members_without_the_permission_are_refused(world: World, curator: User
                                                          ) -> None:
    ix = await board(world, world.alice, "create", name="Mood")
    assert "Manage Channels" in private_text(ix)
    assert world.guild.threads == []
    await create_board(world, curator, "Mood")
    ix = await board(world, world.alice, "style", name="Mood", aspect_ratio="16:9")
    assert "Manage Channels" in private_text(ix)
    shown = await board(world, world.alice, "style", name="Mood")
    assert "no style" in private_text(shown)  # reading it is for everyone
    message = await imagine(world, world.alice, "a quiet harbour")
    assert "Added" in private_text(await add(world, message, world.alice))
    ix = await board(world, world.bob, "remove", name="Mood", number=1)
    assert "Only the member who added" in private_text(ix)
    ix = await board(world, world.admin, "remove", name="Mood", number=1)  # Manage Messages
    assert "Removed number 1" in private_text(ix)
    thread = world.guild.threads[0]
    assert not [m for m in thread.messages if m.attachments], "the copy is taken down too"


async def test_permissions_count_in_the_channel_where_the_board_lands(
    world: World, curator: User
) -> None:
    staff = world.guild.add_channel("staff")
    # Manage Channels and Manage Messages in #general only, through its overwrites.
    keeper = world.discord.add_user("keeper")
    world.guild.set_overwrite(world.general, keeper,
                              allow=Perm.MANAGE_CHANNELS | Perm.MANAGE_MESSAGES)
    ix = await board(world, keeper, "create", name="Secret", channel=staff)
    assert f"Manage Channels permission in {staff.mention}" in private_text(ix)
    assert world.guild.threads == []
    # Server-wide Manage Channels, taken away in #staff.
    world.guild.set_overwrite(staff, curator, deny=Perm.MANAGE_CHANNELS)
    ix = await board(world, curator, "create", name="Secret", channel=staff)
    assert "Manage Channels permission" in private_text(ix)
    assert world.guild.threads == []
    thread = await create_board(world, keeper, "Mood")  # in #general, where they may
    assert thread.parent is world.general

    assert "Added" in private_text(await add(world, await imagine(world, world.alice, "a fjord"),
                                             world.alice))
    # Manage Messages in #staff, where the command is typed, is not Manage Messages on the
    # board in #general.
    staff_mod = world.discord.add_user("staff-mod")
    world.guild.set_overwrite(staff, staff_mod, allow=Perm.MANAGE_MESSAGES)
    ix = await settled(await world.discord.slash(staff, staff_mod, "board", "remove",
                                                 name="Mood", number=1))
    assert "Only the member who added" in private_text(ix)
    # Manage Messages in #general counts, wherever the command is typed.
    ix = await settled(await world.discord.slash(staff, keeper, "board", "remove",
                                                 name="Mood", number=1))
    assert "Removed number 1" in private_text(ix)


async def test_the_style_fills_unset_options_and_the_provider_receives_it(
    world: World, curator: User
) -> None:
    await create_board(world, curator, "Mood")
    ix = await board(world, curator, "style", name="Mood", model="flux-2-pro",
                     aspect_ratio="16:9", output_format="png", prompt_suffix="film grain")
    assert "set" in private_text(ix)
    # The style's own values are checked like any option.
    ix = await board(world, curator, "style", name="Mood", model="flux-2-pro",
                     output_format="webp")
    assert "must be one of jpg, png" in private_text(ix)

    message = await imagine(world, world.alice, "a harbour at dawn", board="mood")
    body = world.providers.onemin.generation_bodies()[-1]  # flux-2-pro, from the style
    assert world.providers.apiframe.generation_bodies() == []
    assert "a harbour at dawn, film grain" in str(body)
    assert "16:9" in str(body)
    assert Image.open(io.BytesIO(message.attachments[0].data)).format == "PNG"
    assert field(message, "Board style") == "Mood"
    assert message.embeds[0]["description"] == "a harbour at dawn, film grain"

    # What the member set wins over the style.
    message = await imagine(world, world.alice, "a pier", board="Mood", output_format="jpg")
    assert Image.open(io.BytesIO(message.attachments[0].data)).format == "JPEG"

    # A style value the member's model does not take is left out, and the embed says so.
    await board(world, curator, "style", name="Mood", output_format="webp")
    message = await imagine(world, world.alice, "a pier", board="Mood", model="flux-2-pro")
    assert "output_format webp left out" in field(message, "Adjusted")
    assert '"webp"' not in str(world.providers.onemin.generation_bodies()[-1])

    # An unknown board is refused before anything is charged.
    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="a pier", board="Nope"))
    assert "no board called “Nope”" in private_text(ix)

    choices = await world.discord.autocomplete(world.general, world.alice, "imagine",
                                               focused="board", prompt="x", board="mo")
    await choices.wait_until(lambda ix: ix.choices is not None, timeout=TIMEOUT)
    assert [c["value"] for c in choices.choices or []] == ["Mood"]


async def test_a_board_name_and_prompt_with_markup_are_shown_as_typed(
    world: World, curator: User
) -> None:
    name, shown = "**Mood** @everyone", "\\*\\*Mood\\*\\* @\u200beveryone"
    forum = world.guild.add_forum("gallery")
    post = await create_board(world, curator, name, channel=forum)
    assert name in post.name  # a thread's name shows no markup: kept as typed
    assert post.messages[0].content.startswith(f"Moodboard **{shown}**:")
    listed = embed_text(private_embed(await board(world, curator, "list")))
    assert f"**{shown}**: 0 images" in listed

    message = await imagine(world, world.alice, f"~~red~~ door for <@{world.bob.id}>")
    assert f"Added to “{shown}” as number 1" in private_text(await add(world, message,
                                                                         world.bob))
    (copy,) = [m for m in post.messages if m.attachments]
    mention = f"<\u200b@\u200b{world.bob.id}>"
    assert copy.embeds[0]["description"] == f"\\~\\~red\\~\\~ door for {mention}"

    ix = await board(world, world.alice, "sheet", name=name)
    await ix.wait_until(lambda ix: any(len(m.attachments) == 2 for m in ix.followups),
                        timeout=TIMEOUT)
    sheet = next(m for m in ix.followups if len(m.attachments) == 2)
    assert str(sheet.content).startswith(f"**{shown}**: the newest 1 image")


async def test_add_to_board_with_one_board_then_with_several_after_a_restart(
    world: World, curator: User
) -> None:
    mood = await create_board(world, curator, "Mood")
    message = await imagine(world, world.alice, "a red door", seed=7)
    ix = await add(world, message, world.bob)
    assert "Added to “Mood” as number 1" in private_text(ix)
    (copy,) = [m for m in mood.messages if m.attachments]
    assert copy.attachments[0].data == message.attachments[0].data  # uploaded again
    assert copy.embeds[0]["description"] == "a red door"
    assert field(copy, "Seed") == "7"
    assert field(copy, "Made by") == f"<@{world.alice.id}>"
    assert field(copy, "Added by") == f"<@{world.bob.id}>"
    assert field(copy, "Original").endswith(f"/{world.general.id}/{message.id}")
    assert field(copy, "Model") == "FLUX1.1 [pro]"

    again = await add(world, message, world.alice)
    assert "already on “Mood” as number 1" in private_text(again)
    assert len([m for m in mood.messages if m.attachments]) == 1

    refs = await create_board(world, curator, "Refs")
    await world.runner.restart()  # the button outlives the process
    ix = await settled(await world.discord.click(message, add_button(message), world.bob))
    job = add_button(message).rsplit(":", 1)[1]
    pick = ix.original.find_component(f"fluxcord:board-pick:{job}")
    assert pick is not None, private_text(ix)
    assert [o["label"] for o in pick["options"]] == ["Refs", "Mood"]  # most recent first
    refs_id = pick["options"][0]["value"]
    chosen = await world.discord.click(ix.original, pick["custom_id"], world.bob,
                                       values=[refs_id])
    await chosen.wait_until(lambda c: "Added" in str(c.original.content if c.original
                                                     else ix.original.content),
                            timeout=TIMEOUT)
    (copy,) = [m for m in refs.messages if m.attachments]
    assert copy.attachments[0].data == message.attachments[0].data


async def test_the_contact_sheet_has_a_numbered_cell_per_image_and_a_matching_csv(
    world: World, curator: User
) -> None:
    await create_board(world, curator, "Mood")
    made = [await imagine(world, world.alice, f"study {n}, with a comma", seed=100 + n)
            for n in range(3)]
    for message in made:
        await add(world, message, world.bob)
    ix = await board(world, world.alice, "sheet", name="Mood")
    assert "Contact sheet" in private_text(ix)
    await ix.wait_until(lambda ix: any(len(m.attachments) == 2 for m in ix.followups),
                        timeout=TIMEOUT)
    sheet = next(m for m in ix.followups if len(m.attachments) == 2)
    assert not sheet.ephemeral
    png, csv = sheet.attachments
    image = Image.open(io.BytesIO(png.data))
    assert image.format == "PNG"
    assert image.size == layout_for(3, THUMB_SIDE).size  # a grid of three cells
    rows = read_csv(csv.data)
    assert [r.number for r in rows] == [3, 2, 1]  # newest first
    assert [r.prompt for r in rows] == [f"study {n}, with a comma" for n in (2, 1, 0)]
    assert [r.seed for r in rows] == [102, 101, 100]
    assert {r.author_id for r in rows} == {world.alice.id}
    assert {r.added_by_id for r in rows} == {world.bob.id}
    assert [r.link.rsplit("/", 1)[1] for r in rows] == [str(m.id) for m in reversed(made)]
    assert {r.model for r in rows} == {"flux-1.1-pro"}


async def test_a_prompt_typed_as_a_formula_is_text_in_the_posted_sheet_csv(
    world: World, curator: User
) -> None:
    await create_board(world, curator, "Mood")
    prompt = '=HYPERLINK("http://x","y")'
    await add(world, await imagine(world, world.alice, prompt), world.alice)

    ix = await board(world, world.alice, "sheet", name="Mood")
    await ix.wait_until(lambda ix: any(len(m.attachments) == 2 for m in ix.followups),
                        timeout=TIMEOUT)
    sheet = next(m for m in ix.followups if len(m.attachments) == 2)

    (record,) = csv.DictReader(io.StringIO(sheet.attachments[1].data.decode(), newline=""))
    assert record["prompt"] == "'" + prompt
    assert record["number"] == "1"


async def thread_state(world: World, name: str, expected: str) -> str:
    """The board's thread state as the bot has it, once it is `expected` (Discord's event
    arrives on its own; polled a bounded number of times)."""
    services = world.runner.services
    assert services is not None
    for _ in range(250):
        state = (await services.boards.board(world.guild.id, name)).thread_state
        if state == expected:
            break
        await asyncio.sleep(0.02)
    return state


async def test_a_thread_deleted_or_locked_outside_the_bot(world: World, curator: User
                                                          ) -> None:
    thread = await create_board(world, curator, "Mood")
    first = await imagine(world, world.alice, "a lantern")
    assert "number 1" in private_text(await add(world, first, world.alice))
    message = await imagine(world, world.alice, "a candle")
    await world.runner.stop()  # deleted while the bot was away: it never saw the event
    world.guild.delete_thread(thread)
    await world.runner.start()
    ix = await add(world, message, world.alice)
    assert "was deleted" in private_text(ix) and "/board create" in private_text(ix)
    listed = embed_text(private_embed(await board(world, curator, "list")))
    assert "thread deleted" in listed

    new_thread = await create_board(world, curator, "mood")  # made again, same board
    # The board's images are posted again in its new thread, read back from the
    # original results.
    await world.discord.wait_until(lambda: any(m.attachments for m in new_thread.messages),
                                   timeout=TIMEOUT)
    (again,) = [m for m in new_thread.messages if m.attachments]
    assert again.attachments[0].data == first.attachments[0].data
    assert again.embeds[0]["title"] == "#1"
    assert "number 2" in private_text(await add(world, message, world.alice))
    assert len([m for m in new_thread.messages if m.attachments]) == 2

    world.guild.set_archived(new_thread, locked=True)
    assert await thread_state(world, "Mood", "archived") == "archived"
    listed = embed_text(private_embed(await board(world, curator, "list")))
    assert "**Mood**: 2 images" in listed and "thread archived" in listed
    other = await imagine(world, world.alice, "a second lantern")
    ix = await add(world, other, world.alice)
    assert "archived and locked" in private_text(ix)

    world.guild.delete_thread(new_thread)
    assert await thread_state(world, "Mood", "deleted") == "deleted"


async def _posted_jobs(world: World, user: User, prompts: list[str]) -> list[str]:
    """Settled jobs of `user`'s, oldest first (set up through the credit rules)."""
    services = world.runner.services
    assert services is not None
    ids = []
    for n, prompt in enumerate(prompts):
        job = await services.credits.reserve(NewJob(
            guild_id=world.guild.id, channel_id=world.general.id, user_id=user.id,
            model="flux-1.1-pro", prompt=prompt, cost=1, seed=1000 + n))
        await services.credits.settle(job.id, 5000 + n)
        ids.append(job.id)
    return ids


async def test_history_pages_filters_and_rerolls(world: World) -> None:
    prompts = [f"cat number {n}" for n in range(1, 11)] + ["A Dog", "another dog"]
    await _posted_jobs(world, world.alice, prompts)
    await _posted_jobs(world, world.bob, ["bob's dog"])

    ix = await settled(await world.discord.slash(world.general, world.alice, "history"))
    page = private_embed(ix)["description"]
    assert page.index("another dog") < page.index("A Dog") < page.index("cat number 10")
    assert "cat number 3\n" in page and "cat number 2\n" not in page  # ten a page
    assert "bob's dog" not in page
    assert "seed 1011" in page and "FLUX1.1 [pro]" in page
    assert f"/{world.general.id}/5011)" in page
    buttons = {c["label"]: c for c in _components(ix.original) if c.get("label")}
    assert buttons["Previous"].get("disabled") and not buttons["Next"].get("disabled")

    clicked = await world.discord.click(ix.original, buttons["Next"]["custom_id"],
                                        world.alice)
    await clicked.wait_until(lambda c: "Page 2" in str(ix.original.embeds), timeout=TIMEOUT)
    page2 = ix.original.embeds[0]["description"]
    assert "cat number 1\n" in page2 and "cat number 2\n" in page2
    assert "dog" not in page2.lower()

    found = await settled(await world.discord.slash(world.general, world.alice, "history",
                                                    query="DOG"))
    text = private_embed(found)["description"]
    assert "A Dog" in text and "another dog" in text and "cat" not in text

    # Reroll an entry from the history: the same prompt, a new job, posted publicly.
    select = next(c for c in _components(found.original)
                  if c.get("custom_id") == "fluxcord:history-reroll")
    job_id = select["options"][1]["value"]  # "A Dog"
    rerolled = await world.discord.click(found.original, "fluxcord:history-reroll",
                                         world.alice, values=[job_id])
    await settled(rerolled)
    (posted,) = results(world.general)
    assert posted.embeds[0]["description"] == "A Dog"


async def test_a_history_page_of_markup_heavy_prompts_fits_one_embed(world: World) -> None:
    # Each `_` is shown escaped (`\\_`): ten prompts of 300 would be 6,000 characters.
    await _posted_jobs(world, world.alice, ["_" * 300 for _ in range(10)])
    ix = await settled(await world.discord.slash(world.general, world.alice, "history"))
    page = private_embed(ix)["description"]
    assert len(page) <= 4096
    assert page.count("\\_" * 99 + "\\…") == 10  # cut at 200 characters, escaped


def _components(message: Message | None) -> list[dict[str, Any]]:
    assert message is not None
    return [c for row in message.components for c in row.get("components", [])]


async def test_add_to_board_reads_the_image_from_discords_copy(
    world: World, curator: User
) -> None:
    mood = await create_board(world, curator, "Mood")
    early = await imagine(world, world.alice, "a blue gate")
    for attachment in early.attachments:
        attachment.expire_links()  # a day later: the links seen so far answer 404
    path = f"/api/v10/channels/{world.general.id}/messages/{early.id}"
    since = len(world.discord.requests)
    assert "Added to “Mood” as number 1" in private_text(await add(world, early, world.alice))
    assert any(r.method == "GET" and r.path == path for r in world.discord.requests[since:])
    (copy,) = [m for m in mood.messages if m.attachments]
    assert copy.attachments[0].data == early.attachments[0].data

    # Deleted while the member chose a board: said privately, and nothing is added.
    await create_board(world, curator, "Refs")
    gone = await imagine(world, world.alice, "a green gate")
    ix = await add(world, gone, world.bob)
    pick = ix.original.find_component(f"fluxcord:board-pick:{add_button(gone).rsplit(':', 1)[1]}")
    assert pick is not None, private_text(ix)
    world.discord.delete_message(gone)
    mood_id = next(o["value"] for o in pick["options"] if o["label"] == "Mood")
    await world.discord.click(ix.original, pick["custom_id"], world.bob, values=[mood_id])
    await ix.wait_until(lambda ix: "no longer in the channel" in str(ix.original.content),
                        timeout=TIMEOUT)
    assert len([m for m in mood.messages if m.attachments]) == 1
    services = world.runner.services
    assert services is not None
    ((_, count),) = [(b, n) for b, n in await services.boards.boards(world.guild.id)
                     if b.name == "Mood"]
    assert count == 1


async def test_add_to_board_asks_which_image_of_several_and_adds_that_one(
    world: World, curator: User
) -> None:
    mood = await create_board(world, curator, "Mood")
    message = await imagine(world, world.alice, "two doors", count=2)
    assert len(message.attachments) == 2
    ix = await add(world, message, world.bob)
    job = add_button(message).rsplit(":", 1)[1]
    pick = ix.original.find_component(f"fluxcord:board-image:{job}")
    assert pick is not None, private_text(ix)
    assert [o["label"] for o in pick["options"]] == ["Image 1", "Image 2"]

    await world.runner.restart()  # the select outlives the process
    chosen = await world.discord.click(ix.original, pick["custom_id"], world.bob,
                                       values=["2"])
    await chosen.wait_until(lambda c: "Added" in str(c.original.content if c.original
                                                     else ix.original.content),
                            timeout=TIMEOUT)
    (copy,) = [m for m in mood.messages if m.attachments]
    assert copy.attachments[0].data == message.attachments[1].data
    assert copy.attachments[0].data != message.attachments[0].data
