"""/edit end to end: the Discord stand-in, the 1min.ai stand-in's image editor, a real
SQLite file."""

from __future__ import annotations

import pytest

from tests.support.e2e_fixtures import World, decode, private_text, results, settled
from tests.support.standins.discord_api import Message
from tests.support.standins.images import make_image

pytestmark = pytest.mark.asyncio


async def test_edit_sends_the_uploaded_image_to_the_image_editor(world: World) -> None:
    picture = world.discord.register_attachment(make_image(64, 48, "png"), "harbour.png",
                                                "image/png")
    ix = await settled(await world.discord.slash(
        world.general, world.alice, "edit", image=picture, prompt="make it night",
        seed=7, steps=20, guidance=4.0, output_format="jpg", safety_tolerance=1,
        prompt_upsampling=True,
    ))

    [message] = results(world.general)
    assert decode(message).format == "JPEG", private_text(ix)
    onemin = world.providers.onemin
    [upload] = onemin.recorded("/api/assets", "POST")
    assert upload.files == {"asset": "harbour.png"}
    [asset_path] = onemin.assets
    body = onemin.generation_bodies()[-1]
    assert body == {
        "type": "IMAGE_EDITOR",
        "model": "black-forest-labs/flux-2-pro",
        "promptObject": {
            "prompt": "make it night", "imageUrl": asset_path, "steps": 20, "guidance": 4.0,
            "output_format": "jpg", "safety_tolerance": 1, "prompt_upsampling": True,
            "seed": 7,
        },
    }
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    assert fields["Source image"] == "harbour.png"
    assert fields["Model"] == "FLUX.2 [pro] edit"
    assert fields["Cost"] == "6 credits"
    # The first row as members know it, whichever cog put its button there first; the
    # tools a configured provider serves (here the two Vary buttons) on the second.
    assert [i.rsplit(":", 1)[0] for i in message.custom_ids()] == [
        "fluxcord:reroll", "fluxcord:edit", "fluxcord:delete", "fluxcord:board-add",
        "fluxcord:edit-image", "fluxcord:tool:vary-subtle", "fluxcord:tool:vary-strong"]
    assert len(message.components) == 2
    services = world.runner.services
    assert services is not None
    assert (await services.credits.balance(world.guild.id, world.alice.id)).total == 44


async def test_edit_over_the_cap_is_refused_before_any_upload(world: World) -> None:
    picture = world.discord.register_attachment(make_image(64, 48, "png"), "harbour.png",
                                                "image/png")
    ix = await settled(await world.discord.slash(
        world.general, world.alice, "edit", image=picture, prompt="make it night",
        safety_tolerance=6,
    ))
    assert "safety" in private_text(ix).lower()
    assert world.providers.onemin.requests == []
    assert results(world.general) == []


async def test_edit_image_under_a_result_edits_that_image_and_reroll_edits_again(
    world: World,
) -> None:
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                             prompt="a harbour", model="flux-1.1-pro",
                                             count=2))
    [first] = results(world.general)
    job = first.custom_ids()[0].rsplit(":", 1)[1]
    opened = await world.discord.click(first, f"fluxcord:edit-image:{job}", world.bob)
    await opened.wait_until(lambda ix: ix.modal is not None, timeout=15)
    assert opened.modal is not None
    ix = await settled(await world.discord.submit_modal(
        opened.modal["custom_id"], {"change": "make it night", "which": "2"}, world.bob,
        world.general,
    ))

    assert len(results(world.general)) == 2, private_text(ix)
    edited = results(world.general)[1]
    onemin = world.providers.onemin
    body = onemin.generation_bodies()[-1]
    assert body["type"] == "IMAGE_EDITOR"
    assert body["promptObject"]["prompt"] == "make it night"
    # The second image of the result is the input, byte for byte.
    assert onemin.assets[body["promptObject"]["imageUrl"]] == first.attachments[1].data
    fields = {f["name"]: f["value"] for f in edited.embeds[0]["fields"]}
    assert fields["Source image"] == first.attachments[1].filename

    edit_job = edited.custom_ids()[0].rsplit(":", 1)[1]
    await settled(await world.discord.click(edited, f"fluxcord:reroll:{edit_job}", world.bob))
    await world.discord.wait_until(lambda: len(results(world.general)) == 3, timeout=15)
    again = onemin.generation_bodies()[-1]
    assert again["type"] == "IMAGE_EDITOR" and again["promptObject"]["prompt"] == "make it night"
    assert again["promptObject"]["seed"] != body["promptObject"]["seed"]


def fetched(world: World, message: Message, since: int) -> bool:
    """Whether the bot asked Discord for `message` again after request number `since`."""
    path = f"/api/v10/channels/{message.channel.id}/messages/{message.id}"
    return any(r.method == "GET" and r.path == path
               for r in world.discord.requests[since:])


async def test_edit_image_reads_the_image_from_discords_copy_with_fresh_links(
    world: World,
) -> None:
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                             prompt="a harbour", model="flux-1.1-pro",
                                             count=2))
    [first] = results(world.general)
    for attachment in first.attachments:
        attachment.expire_links()  # a day later: the links seen so far answer 404
    job = first.custom_ids()[0].rsplit(":", 1)[1]
    opened = await world.discord.click(first, f"fluxcord:edit-image:{job}", world.bob)
    await opened.wait_until(lambda ix: ix.modal is not None, timeout=15)
    assert opened.modal is not None
    for attachment in first.attachments:
        attachment.expire_links()  # the links in the button's own payload too
    since = len(world.discord.requests)
    ix = await settled(await world.discord.submit_modal(
        opened.modal["custom_id"], {"change": "make it night", "which": "2"}, world.bob,
        world.general,
    ))

    assert len(results(world.general)) == 2, private_text(ix)
    assert fetched(world, first, since)  # the message again, with fresh links
    onemin = world.providers.onemin
    body = onemin.generation_bodies()[-1]
    assert onemin.assets[body["promptObject"]["imageUrl"]] == first.attachments[1].data

    edited = results(world.general)[1]
    edit_job = edited.custom_ids()[0].rsplit(":", 1)[1]
    await settled(await world.discord.click(edited, f"fluxcord:reroll:{edit_job}", world.bob))
    await world.discord.wait_until(lambda: len(results(world.general)) == 3, timeout=15)
    again = onemin.generation_bodies()[-1]
    assert onemin.assets[again["promptObject"]["imageUrl"]] == first.attachments[1].data


async def test_edit_image_of_a_message_deleted_meanwhile_is_refused_and_costs_nothing(
    world: World,
) -> None:
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                             prompt="a harbour", model="flux-1.1-pro"))
    [first] = results(world.general)
    services = world.runner.services
    assert services is not None
    before = (await services.credits.balance(world.guild.id, world.bob.id)).total
    asked = len(world.providers.onemin.generation_bodies())
    job = first.custom_ids()[0].rsplit(":", 1)[1]
    opened = await world.discord.click(first, f"fluxcord:edit-image:{job}", world.bob)
    await opened.wait_until(lambda ix: ix.modal is not None, timeout=15)
    assert opened.modal is not None
    world.discord.delete_message(first)  # someone deletes it while the modal is open
    ix = await settled(await world.discord.submit_modal(
        opened.modal["custom_id"], {"change": "make it night"}, world.bob, world.general,
        message=first,
    ))

    assert "no longer in the channel" in private_text(ix)
    assert results(world.general) == []
    assert len(world.providers.onemin.generation_bodies()) == asked
    assert (await services.credits.balance(world.guild.id, world.bob.id)).total == before
