"""Appeals do what the moderators decided (SPEC section 7): Approve runs the request
exactly as the review post showed it, whatever the member changed since; nobody decides
their own appeal; a server's blocklist has a cap on entries."""

from __future__ import annotations

import pytest

from bot.moderation import store as moderation_store
from bot.moderation.service import MAX_SERVER_ENTRIES
from bot.storage import Transaction
from tests.e2e.test_e2e_moderation import (
    COST,
    START,
    admin,
    appeal,
    balance,
    provider_calls,
    review_channel,
)
from tests.support.e2e_fixtures import World, embed_text, private_text, results, settled
from tests.support.standins.discord_api import Perm

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0


def sent_prompt(world: World) -> str:
    return str(world.providers.onemin.generation_bodies()[-1]["promptObject"]["prompt"])


async def preferences(world: World, **values: object) -> str:
    ix = await settled(await world.discord.slash(world.general, world.alice, "preferences",
                                                  "set", **values))
    return private_text(ix)


async def test_approve_runs_the_request_the_review_post_showed_not_todays_preferences(
    world: World,
) -> None:
    review = await review_channel(world)
    await admin(world, "blocklist", "add", entry="castle")
    await admin(world, "blocklist", "add", entry="gore")
    await preferences(world, prompt_suffix="in watercolour", output_format="png")
    _, post = await appeal(world, review, "a **castle** at dawn")
    shown = embed_text(post.embeds[0])
    # The post shows what would run: the preference's suffix and option applied, the
    # prompt as typed (no markup).
    assert "a \\*\\*castle\\*\\* at dawn, in watercolour" in shown
    assert "`output_format`: `png`" in shown and "preferences" in shown

    # After appealing, the member changes what their preferences would add.
    await preferences(world, prompt_suffix="gore", output_format="jpg")
    approve = next(c for c in post.custom_ids() if "approve" in c)
    decided = await settled(await world.discord.click(post, approve, world.admin))
    assert "image posted" in private_text(decided)
    assert provider_calls(world) == 1
    assert sent_prompt(world) == "a **castle** at dawn, in watercolour"
    assert "gore" not in str(world.providers.onemin.generation_bodies())
    (result,) = results(world.general)
    assert result.attachments[0].filename.endswith(".png")
    assert await balance(world, world.alice) == START - COST
    assert "0 strikes" in await admin(world, "strikes", member=world.alice)


async def test_a_moderator_cannot_decide_their_own_appeal(world: World) -> None:
    review = await review_channel(world)
    await admin(world, "blocklist", "add", entry="castle")
    # The moderator's own prompt is refused and appealed, as any member's.
    refused = await settled(await world.discord.slash(
        world.general, world.admin, "imagine", prompt="a castle at noon", model="flux-pro"))
    (custom_id,) = [c for c in refused.original.custom_ids()
                    if c.startswith("fluxcord:appeal:")]
    clicked = await world.discord.click(refused.original, custom_id, world.admin)
    await clicked.wait_until(lambda ix: ix.original is not None
                             and "sent to" in str(ix.original.content), timeout=TIMEOUT)
    (post,) = [m for m in review.messages if m.embeds]
    approve = next(c for c in post.custom_ids() if "approve" in c)
    reject = next(c for c in post.custom_ids() if "reject" in c)

    for own in (approve, reject):
        tried = await settled(await world.discord.click(post, own, world.admin))
        assert "your own appeal" in private_text(tried)
    assert results(world.general) == [] and provider_calls(world) == 0
    assert await balance(world, world.admin) == START
    assert "1 strike in the last 24 hours" in await admin(world, "strikes",
                                                          member=world.admin)
    assert "Decision" not in embed_text(review.messages[-1].embeds[0])

    # Another moderator still can.
    other = world.discord.add_user("other-mod", permissions=Perm.MANAGE_MESSAGES)
    decided = await settled(await world.discord.click(post, approve, other))
    assert "image posted" in private_text(decided)
    assert provider_calls(world) == 1
    assert await balance(world, world.admin) == START - COST


async def test_a_refused_edit_image_is_appealed_and_approved_with_its_image(
    world: World,
) -> None:
    review = await review_channel(world)
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                             prompt="a harbour", model="flux-1.1-pro"))
    (first,) = results(world.general)
    job = first.custom_ids()[0].rsplit(":", 1)[1]
    await admin(world, "blocklist", "add", entry="castle")
    opened = await world.discord.click(first, f"fluxcord:edit-image:{job}", world.alice)
    await opened.wait_until(lambda ix: ix.modal is not None, timeout=TIMEOUT)
    refused = await settled(await world.discord.submit_modal(
        opened.modal["custom_id"], {"change": "add a castle"}, world.alice,
        world.general))
    assert "`castle`" in private_text(refused)
    (custom_id,) = [c for c in refused.original.custom_ids()
                    if c.startswith("fluxcord:appeal:")]
    clicked = await world.discord.click(refused.original, custom_id, world.alice)
    await clicked.wait_until(lambda ix: ix.original is not None
                             and "sent to" in str(ix.original.content), timeout=TIMEOUT)
    (post,) = [m for m in review.messages if m.embeds]
    assert first.attachments[0].filename in embed_text(post.embeds[0])

    approve = next(c for c in post.custom_ids() if "approve" in c)
    decided = await settled(await world.discord.click(post, approve, world.admin))
    assert "image posted" in private_text(decided)
    body = world.providers.onemin.generation_bodies()[-1]
    assert body["type"] == "IMAGE_EDITOR" and body["promptObject"]["prompt"] == "add a castle"
    assert len(results(world.general)) == 2


async def test_a_full_blocklist_refuses_another_entry_naming_the_cap(world: World) -> None:
    services = world.runner.services
    assert services is not None
    guild = world.guild.id

    async def fill(tx: Transaction) -> None:
        for n in range(MAX_SERVER_ENTRIES - 1):
            await moderation_store.add_blocklist_entry(tx, guild, f"term{n}", f"term{n}", None, 0.0)

    await services.store.write(fill)
    assert "Added `last one`" in await admin(world, "blocklist", "add", entry="last one")
    refused = await admin(world, "blocklist", "add", entry="one more")
    assert "full" in refused and "2,000 entries" in refused
    assert "has 2,000 entries" in await admin(world, "blocklist", "show")
    assert len(await services.moderation.entries(guild)) == 2000
