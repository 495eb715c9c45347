"""A deleted result is dead (SPEC section 2): after `Delete`, by the requester or a
moderator, every button, select and modal of it refuses, also one opened before and
after a restart, and the bot keeps nothing of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.e2e_fixtures import World, make_world, private_text, results, settled
from tests.support.standins.discord_api import (
    Channel,
    DiscordStandIn,
    Message,
    Perm,
    StandInInteraction,
    User,
)
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0
DELETED = "That image was deleted; nothing of it is kept."


@pytest.fixture
async def world(tmp_path: Path, discord_standin: DiscordStandIn,
                provider_standins: ProviderStandIns) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  DEFAULT_ALLOWANCE=500):
        yield world


async def two_boards(world: World) -> list[Channel]:
    curator = world.discord.add_user("curator", permissions=Perm.MANAGE_CHANNELS)
    threads = []
    for name in ("Mood", "Harbours"):
        known = set(world.guild.threads)
        await settled(await world.discord.slash(world.general, curator, "board", "create",
                                                name=name))
        (thread,) = [t for t in world.guild.threads if t not in known]
        threads.append(thread)
    return threads


async def result(world: World) -> tuple[Message, str]:
    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="two doors", model="flux-1.1-pro",
                                                 count=2))
    await ix.wait_until(lambda i: "left." in str(i.original.content), timeout=TIMEOUT)
    [message] = results(world.general)
    return message, message.custom_ids()[0].rsplit(":", 1)[1]


async def opened_modal(world: World, message: Message, custom_id: str, user: User) -> str:
    ix = await world.discord.click(message, custom_id, user)
    await ix.wait_until(lambda i: i.modal is not None, timeout=TIMEOUT)
    assert ix.modal is not None
    return str(ix.modal["custom_id"])


async def answered(ix: StandInInteraction) -> str:
    await ix.wait_until(lambda i: i.original is not None and not i.original.loading
                        and "…" not in str(i.original.content), timeout=TIMEOUT)
    return private_text(ix)


async def delete(world: World, message: Message, job: str, user: User) -> None:
    ix = await settled(await world.discord.click(message, f"fluxcord:delete:{job}", user))
    assert private_text(ix) == "Deleted."
    assert message.deleted


async def test_what_was_open_before_delete_refuses_and_nothing_is_kept(world: World) -> None:
    threads = await two_boards(world)
    message, job = await result(world)
    services = world.runner.services
    assert services is not None

    # Opened before the Delete: an Edit image modal, an Edit modal, the board select.
    edit_image = await opened_modal(world, message, f"fluxcord:edit-image:{job}", world.bob)
    edit = await opened_modal(world, message, f"fluxcord:edit:{job}", world.bob)
    adding = await settled(await world.discord.click(message, f"fluxcord:board-add:{job}",
                                                     world.bob))
    assert adding.original is not None
    image_pick = await world.discord.click(adding.original, f"fluxcord:board-image:{job}",
                                           world.bob, values=["2"])
    await image_pick.wait_until(
        lambda i: adding.original is not None
        and adding.original.find_component(f"fluxcord:board-pick:{job}:2") is not None,
        timeout=TIMEOUT)
    generations = world.providers.total_generations()

    await delete(world, message, job, world.alice)

    ix = await world.discord.submit_modal(edit_image, {"change": "make it night",
                                                       "which": "2"}, world.bob)
    assert await answered(ix) == DELETED
    ix = await world.discord.submit_modal(edit, {"prompt": "two doors at night"}, world.bob)
    assert await answered(ix) == DELETED
    board_id = adding.original.find_component(f"fluxcord:board-pick:{job}:2")
    assert board_id is not None
    ix = await world.discord.click(adding.original, f"fluxcord:board-pick:{job}:2",
                                   world.bob, values=[board_id["options"][0]["value"]])
    assert await answered(ix) == DELETED

    assert world.providers.total_generations() == generations
    assert all(not [m for m in thread.messages if m.attachments] for thread in threads)
    stored = await services.records.get_job(job)
    assert stored is not None and stored.deleted_at is not None


async def test_a_result_is_dead_even_when_discord_fails_to_remove_its_message(
    world: World,
) -> None:
    message, job = await result(world)
    edit = await opened_modal(world, message, f"fluxcord:edit:{job}", world.bob)
    generations = world.providers.total_generations()
    world.discord.fail("DELETE", "/channels/{channel}/messages/{message}", 403, 50013,
                       "Missing Permissions")

    ix = await world.discord.click(message, f"fluxcord:delete:{job}", world.alice)
    assert "went wrong" in await answered(ix)
    assert not message.deleted
    # The message outlived the click, but the result is dead all the same.
    ix = await world.discord.submit_modal(edit, {"prompt": "two doors at night"}, world.bob)
    assert await answered(ix) == DELETED
    assert world.providers.total_generations() == generations

    await delete(world, message, job, world.alice)  # the next click removes the message


async def test_a_moderators_delete_holds_after_a_restart(world: World) -> None:
    message, job = await result(world)
    edit_image = await opened_modal(world, message, f"fluxcord:edit-image:{job}", world.bob)
    await delete(world, message, job, world.admin)
    await world.runner.restart()
    generations = world.providers.total_generations()

    ix = await world.discord.submit_modal(edit_image, {"change": "make it night",
                                                       "which": "1"}, world.bob)
    assert await answered(ix) == DELETED
    assert world.providers.total_generations() == generations
    assert results(world.general) == []


async def test_an_image_number_in_another_script_is_asked_again(world: World) -> None:
    message, job = await result(world)
    edit_image = await opened_modal(world, message, f"fluxcord:edit-image:{job}", world.bob)
    for which in ("²", "٢", "３", "0", "3"):
        ix = await world.discord.submit_modal(edit_image, {"change": "make it night",
                                                           "which": which}, world.bob)
        assert await answered(ix) == "Pick an image from 1 to 2. Press Edit image again."
    assert world.providers.total_generations() == 2  # the result's own two images
