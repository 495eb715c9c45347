"""The tools under a result end to end: the Discord stand-in, BFL's expand and fill and
1min.ai's flux-dev as stand-ins, a real SQLite file. Each button's wire body, the new
result and the ledger."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support.e2e_fixtures import (
    World,
    embed_text,
    make_world,
    private_text,
    results,
    settled,
)
from tests.support.standins.bfl import mask_of
from tests.support.standins.discord_api import DiscordStandIn, Message, User
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio
TIMEOUT = 15
TOOL_KEYS = ("vary-subtle", "vary-strong", "zoom-2", "zoom-1.5", "region", "pan-left",
             "pan-right", "pan-up", "pan-down")


@pytest.fixture
async def bfl_world(tmp_path: Path, discord_standin: DiscordStandIn,
                    provider_standins: ProviderStandIns) -> AsyncIterator[World]:
    bfl = provider_standins.settings_env(bfl=True)
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  BFL_API_KEY=bfl["BFL_API_KEY"],
                                  BFL_BASE_URL=bfl["BFL_BASE_URL"]):
        yield world


def job_of(message: Message) -> str:
    return message.custom_ids()[0].rsplit(":", 1)[1]


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


async def imagine(world: World, **options: Any) -> Message:
    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="a harbour", model="flux-1.1-pro",
                                                 **options))
    found = results(world.general)
    assert found, private_text(ix)
    return found[-1]


async def use_tool(world: World, message: Message, key: str, user: User,
                   fields: dict[str, str] | None = None) -> Any:
    """Clicks the tool's button; fills its modal when it opens one; waits for the end."""
    opened = await world.discord.click(message, f"fluxcord:tool:{key}:{job_of(message)}", user)
    if fields is None:
        return await settled(opened)
    await opened.wait_until(lambda ix: ix.modal is not None, timeout=TIMEOUT)
    assert opened.modal is not None
    return await settled(await world.discord.submit_modal(
        opened.modal["custom_id"], fields, user, world.general))


async def balance(world: World, user: User) -> int:
    services = world.runner.services
    assert services is not None
    return (await services.credits.balance(world.guild.id, user.id)).total


async def ledger_of(world: World, user: User, job: str) -> list[tuple[int, str]]:
    services = world.runner.services
    assert services is not None
    return [(e.delta, e.reason) for e in await services.credits.ledger(world.guild.id, user.id)
            if e.job_id == job]


async def model_of(world: World, job: str) -> str:
    services = world.runner.services
    assert services is not None
    found = await services.records.get_job(job)
    assert found is not None
    return found.model


async def test_every_tool_is_under_a_result_when_its_provider_is_set_up(
    bfl_world: World,
) -> None:
    message = await imagine(bfl_world)
    job = job_of(message)
    tools = [c for c in message.custom_ids() if c.startswith("fluxcord:tool:")]
    assert tools == [f"fluxcord:tool:{key}:{job}" for key in TOOL_KEYS]


async def test_without_bfl_only_vary_is_offered(world: World) -> None:
    message = await imagine(world)
    tools = [c.split(":")[2] for c in message.custom_ids() if c.startswith("fluxcord:tool:")]
    assert tools == ["vary-subtle", "vary-strong"]


async def test_zoom_out_2x_sends_equal_margins_and_posts_a_new_result(
    bfl_world: World,
) -> None:
    source = await imagine(bfl_world)
    width, height = size_of(source.attachments[0].data)
    before = await balance(bfl_world, bfl_world.bob)
    ix = await use_tool(bfl_world, source, "zoom-2", bfl_world.bob, {"prompt": ""})

    assert len(results(bfl_world.general)) == 2, private_text(ix)
    [submit] = bfl_world.providers.bfl.recorded("/v1/flux-pro-1.0-expand", "POST")
    body = dict(submit.json)
    assert base64.b64decode(body.pop("image")) == source.attachments[0].data
    seed = body.pop("seed")
    assert isinstance(seed, int)
    assert body == {"prompt": "a harbour", "top": height // 2, "bottom": height // 2,
                    "left": width // 2, "right": width // 2, "output_format": "png",
                    "safety_tolerance": 2}
    made = results(bfl_world.general)[1]
    assert size_of(made.attachments[0].data) == (width + 2 * (width // 2),
                                                 height + 2 * (height // 2))
    # A result like any other: every button again, charged to who clicked.
    assert len([c for c in made.custom_ids() if c.startswith("fluxcord:tool:")]) == 9
    assert await balance(bfl_world, bfl_world.bob) == before - 5
    assert await ledger_of(bfl_world, bfl_world.bob, job_of(made)) == [
        (-5, "reserve: zoom-out")]
    assert await model_of(bfl_world, job_of(made)) == "zoom-out"
    history = await settled(await bfl_world.discord.slash(
        bfl_world.general, bfl_world.bob, "credits", "history"))
    assert history.original is not None and history.original.embeds
    assert "charged for zoom-out" in embed_text(history.original.embeds[0])

    # Reroll of the zoom: the same input and margins, a new seed.
    await settled(await bfl_world.discord.click(made, f"fluxcord:reroll:{job_of(made)}",
                                                bfl_world.bob))
    await bfl_world.discord.wait_until(lambda: len(results(bfl_world.general)) == 3,
                                       timeout=TIMEOUT)
    again = dict(bfl_world.providers.bfl.recorded("/v1/flux-pro-1.0-expand", "POST")[1].json)
    assert base64.b64decode(again.pop("image")) == source.attachments[0].data
    assert again.pop("seed") != seed
    assert again == body
    assert bfl_world.providers.bfl.violations == []


async def test_pan_left_grows_the_left_side_by_half_the_width_with_the_prompt_given(
    bfl_world: World,
) -> None:
    source = await imagine(bfl_world)
    width, height = size_of(source.attachments[0].data)
    await bfl_world.runner.restart()  # the buttons outlive the process
    ix = await use_tool(bfl_world, source, "pan-left", bfl_world.alice,
                        {"prompt": "a lighthouse on the cliff"})

    assert len(results(bfl_world.general)) == 2, private_text(ix)
    [submit] = bfl_world.providers.bfl.recorded("/v1/flux-pro-1.0-expand", "POST")
    body = submit.json
    assert body["prompt"] == "a lighthouse on the cliff"
    assert {s: body[s] for s in ("top", "bottom", "left", "right")} == {
        "top": 0, "bottom": 0, "left": width // 2, "right": 0}
    made = results(bfl_world.general)[1]
    assert size_of(made.attachments[0].data) == (width + width // 2, height)
    assert await model_of(bfl_world, job_of(made)) == "pan"


async def test_zoom_out_of_a_large_image_shrinks_it_first_and_says_so(
    bfl_world: World,
) -> None:
    source = await imagine(bfl_world, aspect_ratio="custom", width=1440, height=1024)
    assert size_of(source.attachments[0].data) == (1440, 1024)
    ix = await use_tool(bfl_world, source, "zoom-2", bfl_world.alice, {"prompt": ""})

    assert len(results(bfl_world.general)) == 2, private_text(ix)
    [submit] = bfl_world.providers.bfl.recorded("/v1/flux-pro-1.0-expand", "POST")
    body = submit.json
    sent = size_of(base64.b64decode(body["image"]))
    assert sent == (1024, 728)  # 1440x1024 scaled by 2048 / (2 x 1440)
    assert (body["left"], body["right"], body["top"], body["bottom"]) == (512, 512, 364, 364)
    made = results(bfl_world.general)[1]
    assert size_of(made.attachments[0].data) == (2048, 1456)
    await ix.wait_until(lambda ix: any("scaled down" in str(m.content) for m in ix.followups),
                        timeout=TIMEOUT)


async def test_vary_region_repaints_the_chosen_cells_with_a_same_size_mask(
    bfl_world: World,
) -> None:
    source = await imagine(bfl_world)
    width, height = size_of(source.attachments[0].data)
    job = job_of(source)
    asked = await settled(await bfl_world.discord.click(
        source, f"fluxcord:tool:region:{job}", bfl_world.bob))
    assert asked.original is not None and asked.original.ephemeral
    select = asked.original.find_component(f"fluxcord:region:{job}")
    assert select is not None, private_text(asked)
    assert len(select["options"]) == 9
    chosen = await bfl_world.discord.click(asked.original, select["custom_id"], bfl_world.bob,
                                           values=["1", "5"])
    await chosen.wait_until(lambda ix: ix.modal is not None, timeout=TIMEOUT)
    assert chosen.modal is not None
    ix = await settled(await bfl_world.discord.submit_modal(
        chosen.modal["custom_id"], {"prompt": "a red kite"}, bfl_world.bob, bfl_world.general))

    assert len(results(bfl_world.general)) == 2, private_text(ix)
    [submit] = bfl_world.providers.bfl.recorded("/v1/flux-pro-1.0-fill", "POST")
    body = submit.json
    assert body["prompt"] == "a red kite"
    assert base64.b64decode(body["image"]) == source.attachments[0].data
    mask = mask_of(body)
    assert mask.size == (width, height) and mask.mode == "RGB"
    # Cell 1 (top left) and cell 5 (the centre) white, the rest black.
    cell_w = [width * (c + 1) // 3 - width * c // 3 for c in range(3)]
    cell_h = [height * (r + 1) // 3 - height * r // 3 for r in range(3)]
    histogram = mask.convert("L").histogram()
    assert histogram[255] == cell_w[0] * cell_h[0] + cell_w[1] * cell_h[1]
    assert histogram[0] == width * height - histogram[255]
    made = results(bfl_world.general)[1]
    assert await model_of(bfl_world, job_of(made)) == "vary-region"
    assert await ledger_of(bfl_world, bfl_world.bob, job_of(made)) == [(-5, "reserve: vary-region")]


async def test_vary_asks_which_image_and_sends_it_with_its_strength(world: World) -> None:
    source = await imagine(world, count=2)
    ix = await use_tool(world, source, "vary-subtle", world.bob, {"which": "2"})

    assert len(results(world.general)) == 2, private_text(ix)
    onemin = world.providers.onemin
    body = onemin.generation_bodies()[-1]
    prompt_object = body["promptObject"]
    assert body["model"] == "black-forest-labs/flux-dev"
    assert prompt_object["prompt"] == "a harbour"
    assert prompt_object["prompt_strength"] == 0.35
    assert onemin.assets[prompt_object["image_prompt"]] == source.attachments[1].data
    made = results(world.general)[1]
    assert await model_of(world, job_of(made)) == "vary"
    assert await ledger_of(world, world.bob, job_of(made)) == [(-3, "reserve: vary")]

    # One image: no question, the job runs at once, Strong further from the source.
    single = await imagine(world)
    await use_tool(world, single, "vary-strong", world.bob)
    await world.discord.wait_until(lambda: len(results(world.general)) == 4, timeout=TIMEOUT)
    assert onemin.generation_bodies()[-1]["promptObject"]["prompt_strength"] == 0.75


async def test_a_member_clicking_tool_after_tool_has_two_images_read_at_once(
    world: World,
) -> None:
    source = await imagine(world)
    # Discord answers slowly: each click is still reading the image when the next comes.
    world.discord.slow("GET", "/channels/{channel}/messages/{message}", 1.0)
    clicks = [await world.discord.click(source, f"fluxcord:tool:vary-strong:{job_of(source)}",
                                        world.bob) for _ in range(3)]
    await clicks[2].wait_until(lambda ix: ix.original is not None
                               and "still being read" in str(ix.original.content),
                               timeout=TIMEOUT)
    assert private_text(clicks[2]) == ("Your other images are still being read. Try again "
                                       "once they have started.")
    world.discord.rest.delays.clear()
    for ix in clicks[:2]:
        await settled(ix)
    await world.discord.wait_until(lambda: len(results(world.general)) == 3, timeout=TIMEOUT)
    # Read one at a time again, nothing is refused.
    await use_tool(world, source, "vary-strong", world.bob)
    await world.discord.wait_until(lambda: len(results(world.general)) == 4, timeout=TIMEOUT)


async def test_a_tool_on_a_deleted_result_is_refused_and_costs_nothing(
    bfl_world: World,
) -> None:
    source = await imagine(bfl_world)
    opened = await bfl_world.discord.click(source, f"fluxcord:tool:zoom-1.5:{job_of(source)}",
                                           bfl_world.bob)
    await opened.wait_until(lambda ix: ix.modal is not None, timeout=TIMEOUT)
    assert opened.modal is not None
    before = await balance(bfl_world, bfl_world.bob)
    bfl_world.discord.delete_message(source)  # gone while the modal is open
    ix = await settled(await bfl_world.discord.submit_modal(
        opened.modal["custom_id"], {"prompt": ""}, bfl_world.bob, bfl_world.general,
        message=source))

    assert "no longer in the channel" in private_text(ix)
    assert bfl_world.providers.bfl.recorded("/v1/flux-pro-1.0-expand", "POST") == []
    assert await balance(bfl_world, bfl_world.bob) == before


async def test_a_forged_tool_modal_is_refused(bfl_world: World) -> None:
    source = await imagine(bfl_world)
    ix = await settled(await bfl_world.discord.submit_modal(
        f"fluxcord:tool-modal:region:{'0' * 32}:15:1", {"prompt": "x"}, bfl_world.bob,
        bfl_world.general, message=source))
    assert private_text(ix) == "That is not available here."
    assert bfl_world.providers.bfl.requests == []


async def test_a_tool_prompt_is_screened_and_a_moderated_one_refunded(
    bfl_world: World,
) -> None:
    added = await settled(await bfl_world.discord.slash(
        bfl_world.general, bfl_world.admin, "moderation", "blocklist", "add", entry="kraken"))
    assert "Added" in private_text(added)
    source = await imagine(bfl_world)
    before = await balance(bfl_world, bfl_world.bob)

    ix = await use_tool(bfl_world, source, "pan-up", bfl_world.bob, {"prompt": "a kraken"})
    assert "kraken" in private_text(ix)
    assert bfl_world.providers.bfl.recorded("/v1/flux-pro-1.0-expand", "POST") == []
    assert await balance(bfl_world, bfl_world.bob) == before

    # The provider's own refusal: the reserved credits come back, the ledger says why.
    ix = await use_tool(bfl_world, source, "pan-down", bfl_world.bob,
                        {"prompt": "a forbidden shore"})
    assert "back" in private_text(ix)
    assert len(bfl_world.providers.bfl.recorded("/v1/flux-pro-1.0-expand", "POST")) == 1
    assert await balance(bfl_world, bfl_world.bob) == before
    services = bfl_world.runner.services
    assert services is not None
    rows = [(e.delta, e.reason) for e in await services.credits.ledger(bfl_world.guild.id,
                                                                        bfl_world.bob.id)]
    assert rows[-2:] == [(-5, "reserve: pan"), (5, "refund: bfl: ModerationError")]
    assert len(results(bfl_world.general)) == 1


async def test_forged_region_cells_get_a_private_explanation(bfl_world: World) -> None:
    source = await imagine(bfl_world)
    job = job_of(source)
    asked = await settled(await bfl_world.discord.click(
        source, f"fluxcord:tool:region:{job}", bfl_world.bob))
    assert asked.original is not None
    for values in (["10"], ["1", "x"], [str(n) for n in range(1, 10)]):
        ix = await settled(await bfl_world.discord.forge_click(
            asked.original, f"fluxcord:region:{job}", bfl_world.bob, values=values,
            shown=True))
        assert ix.modal is None
        assert "Vary" in private_text(ix) or "cells 1-9" in private_text(ix), values
    assert bfl_world.providers.bfl.requests == []
