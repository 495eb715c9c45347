"""`/imagine` with `{a, b}` groups in the prompt, end to end: one job and one public
result per combination, each naming its variant, charged and refunded on its own; the
limit and the confirmation judged once for the whole command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.e2e_fixtures import World, make_world, private_text, results, settled
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.discord_models import Message, walk_components
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio
TIMEOUT = 20.0


@pytest.fixture
async def world(tmp_path: Path, discord_standin: DiscordStandIn,
                provider_standins: ProviderStandIns) -> AsyncIterator[World]:
    # flux-pro costs 5: four variants (20) run unasked, five (25) are confirmed first.
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  CONFIRM_ABOVE=20):
        yield world


async def balance(world: World) -> int:
    services = world.runner.services
    assert services is not None
    return (await services.credits.balance(world.guild.id, world.alice.id)).total


async def ledger(world: World) -> list[tuple[int, str, str | None]]:
    services = world.runner.services
    assert services is not None
    return [(e.delta, e.reason, e.job_id)
            for e in await services.credits.ledger(world.guild.id, world.alice.id)]


def statuses(ix: Any) -> list[Message]:
    """The private message of each variant, in the order the variants were listed."""
    return [m for m in ix.followups if m.ephemeral and not m.deleted]


def variant_of(message: Message) -> str:
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    return str(fields["Variant"])


async def all_ended(world: World, ix: Any, variants: int) -> None:
    """Waits until every variant's private message has its last word."""
    def ended(_: Any) -> bool:
        found = statuses(ix)
        return len(found) == variants and all(
            any(end in str(m.content) for end in ("left.", "back", "nothing was charged"))
            for m in found)
    await ix.wait_until(ended, timeout=TIMEOUT)


async def test_two_by_two_posts_four_named_results_and_four_charges(world: World) -> None:
    ix = await world.discord.slash(world.general, world.alice, "imagine",
                                   prompt="a {red, blue} {fox, owl} in snow", model="flux-pro")
    await all_ended(world, ix, 4)
    assert "4 variants" in private_text(ix) and "20 credits in all" in private_text(ix)

    posted = results(world.general)
    assert sorted(variant_of(m) for m in posted) == [
        "blue · fox", "blue · owl", "red · fox", "red · owl"]
    # Each private message says which variant it is about, in the order listed.
    assert [str(m.content).split(":")[0] for m in statuses(ix)] == [
        "Variant **red · fox**", "Variant **red · owl**", "Variant **blue · fox**",
        "Variant **blue · owl**"]
    prompts = sorted(b["promptObject"]["prompt"] for b in
                     world.providers.onemin.generation_bodies())
    assert prompts == ["a blue fox in snow", "a blue owl in snow", "a red fox in snow",
                       "a red owl in snow"]
    for message in posted:  # each result's embed shows its own prompt
        words = variant_of(message).replace(" · ", " ")
        assert message.embeds[0]["description"] == f"a {words} in snow"
    reserves = [row for row in await ledger(world) if row[1] == "reserve"]
    assert len(reserves) == 4 and {row[0] for row in reserves} == {-5}
    assert len({row[2] for row in reserves}) == 4  # four jobs
    assert await balance(world) == 50 - 20


async def test_over_the_limit_is_refused_with_the_number_and_nothing_charged(
    world: World,
) -> None:
    ix = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="{a, b, c} cat {d, e, f}",
        model="flux-pro"))
    assert "9 combinations" in private_text(ix) and "at most 8" in private_text(ix)

    counted = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="{a, b} cat {c, d}", model="flux-pro",
        count=3))
    assert "4 combinations × 3 images each: 12 jobs" in private_text(counted)

    assert world.providers.total_generations() == 0
    assert await ledger(world) == [] and await balance(world) == 50
    assert results(world.general) == []


async def test_a_prompt_whose_braces_cannot_be_read_is_refused_privately(world: World) -> None:
    ix = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="a {red, blue fox", model="flux-pro"))
    assert "never closed" in private_text(ix) and "\\{" in private_text(ix)
    assert world.providers.total_generations() == 0 and await balance(world) == 50


async def test_an_escaped_brace_is_sent_as_typed_in_one_job(world: World) -> None:
    await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt=r"a sign reading \{hello\}",
        model="flux-pro"))
    [body] = world.providers.onemin.generation_bodies()
    assert body["promptObject"]["prompt"] == "a sign reading {hello}"
    assert await balance(world) == 45


async def test_the_whole_cost_is_confirmed_once(world: World) -> None:
    ix = await world.discord.slash(world.general, world.alice, "imagine",
                                   prompt="a {red, blue, green, gold, grey} fox",
                                   model="flux-pro")
    await ix.wait_until(lambda ix: ix.original is not None
                        and "Confirm within" in str(ix.original.content), timeout=TIMEOUT)
    assert "This costs 25 credits (5 variants, FLUX.1 [pro])" in private_text(ix)
    assert world.providers.total_generations() == 0 and await balance(world) == 50
    confirm = next(str(c["custom_id"]) for c in walk_components(ix.original.components)
                   if c.get("label") == "Confirm")
    await world.discord.click(ix.original, confirm, world.alice)
    await all_ended(world, ix, 5)

    assert len(results(world.general)) == 5
    asked = [m for m in (ix.original, *ix.followups)
             if any("Confirm within" in str(h.get("content")) for h in m.history)]
    assert asked == [ix.original]  # one question for the five jobs
    assert await balance(world) == 50 - 25


async def test_a_variant_the_provider_refuses_is_refunded_alone(world: World) -> None:
    ix = await world.discord.slash(world.general, world.alice, "imagine",
                                   prompt="a {calm, forbidden} garden", model="flux-pro")
    await all_ended(world, ix, 2)

    [posted] = results(world.general)
    assert variant_of(posted) == "calm"
    refused = next(m for m in statuses(ix) if "forbidden" in str(m.content))
    assert "content policy" in str(refused.content) and "credits are back" in str(refused.content)
    rows = await ledger(world)
    reserves = [r for r in rows if r[1] == "reserve"]
    refunds = [r for r in rows if r[0] > 0]
    assert len(reserves) == 2 and len(refunds) == 1 and refunds[0][0] == 5
    assert refunds[0][2] != posted.custom_ids()[0].rsplit(":", 1)[1]  # not the posted job
    assert await balance(world) == 50 - 5


async def test_eight_variants_all_run_without_filling_the_members_queue(world: World) -> None:
    # The member may have 2 jobs running and 5 queued: eight at once would refuse one.
    ix = await world.discord.slash(
        world.general, world.alice, "imagine", prompt="a {a, b, c, d, e, f, g, h} cat",
        model="flux-dev", megapixels="0.25")
    await all_ended(world, ix, 8)
    assert len(results(world.general)) == 8, [str(m.content) for m in statuses(ix)]
    assert await balance(world) == 50 - 8


async def test_one_blocked_variant_refuses_the_command_before_any_charge(world: World) -> None:
    blocked = await settled(await world.discord.slash(
        world.general, world.admin, "moderation", "blocklist", "add", entry="red fox"))
    assert "red fox" in private_text(blocked)
    ix = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="a {grey, red} fox", model="flux-pro"))
    assert "`red fox`" in private_text(ix)
    assert statuses(ix) == [] and world.providers.total_generations() == 0
    assert await ledger(world) == [] and await balance(world) == 50


async def test_each_variant_is_charged_on_its_own_until_the_credits_run_out(
    world: World,
) -> None:
    services = world.runner.services
    assert services is not None
    await services.guilds.set_allowance(world.guild.id, 12, None)
    ix = await world.discord.slash(world.general, world.alice, "imagine",
                                   prompt="a {grey, red, white} fox", model="flux-pro")

    def ended(_: Any) -> bool:
        texts = [str(m.content) for m in statuses(ix)]
        return len(texts) == 3 and sum("left." in t for t in texts) == 2 and any(
            "credits" in t and "left." not in t for t in texts)
    await ix.wait_until(ended, timeout=TIMEOUT)
    assert len(results(world.general)) == 2
    assert len([r for r in await ledger(world) if r[1] == "reserve"]) == 2
    assert await balance(world) == 2


async def test_a_variant_waiting_for_its_turn_can_be_cancelled_for_nothing(
    world: World,
) -> None:
    # Two run at once (the member's limit); the third waits for them, nothing reserved.
    world.providers.onemin.inject("slow", times=2, seconds=3)
    ix = await world.discord.slash(world.general, world.alice, "imagine",
                                   prompt="a {grey, red, white} fox", model="flux-pro")

    def waiting(_: Any) -> bool:
        return any(c.get("label") == "Cancel" for m in statuses(ix)
                   for c in walk_components(m.components))
    await ix.wait_until(waiting, timeout=TIMEOUT)
    third = next(m for m in statuses(ix) if m.custom_ids())
    assert "white" in str(third.content)
    [cancel] = third.custom_ids()
    bob = await world.discord.click(third, cancel, world.bob)  # the requester only
    await bob.wait_until(lambda b: b.original is not None, timeout=TIMEOUT)
    assert "That is not available here." in private_text(bob)
    await world.discord.click(third, cancel, world.alice)
    await ix.wait_until(lambda _: "cancelled; nothing was charged" in str(third.content),
                        timeout=TIMEOUT)

    await all_ended(world, ix, 3)
    assert sorted(variant_of(m) for m in results(world.general)) == ["grey", "red"]
    assert len(world.providers.onemin.generation_bodies()) == 2
    assert len([r for r in await ledger(world) if r[1] == "reserve"]) == 2
    assert await balance(world) == 50 - 10


async def test_long_options_and_markup_are_shown_as_text(world: World) -> None:
    long = "x" * 900
    ix = await world.discord.slash(world.general, world.alice, "imagine",
                                   prompt=f"a {{**bold** <@{world.bob.id}>, {long}}} fox",
                                   model="flux-2-pro")
    await all_ended(world, ix, 2)
    posted = results(world.general)
    assert len(posted) == 2
    named = sorted(variant_of(m) for m in posted)
    # No markup and no mention in the embed.
    assert named[0] == f"\\*\\*bold\\*\\* <\u200b@\u200b{world.bob.id}>"
    assert named[1] == long
    first, second = (str(m.content) for m in statuses(ix))
    assert first.startswith(f"Variant **\\*\\*bold\\*\\* <\u200b@\u200b{world.bob.id}>**: Done")
    assert second.startswith("Variant **xxx") and "…**: Done" in second
    assert len(second) < 400


async def test_reroll_on_a_variant_remakes_that_variant_only(world: World) -> None:
    ix = await world.discord.slash(world.general, world.alice, "imagine",
                                   prompt="a {red, blue} fox", model="flux-pro")
    await all_ended(world, ix, 2)
    blue = next(m for m in results(world.general) if variant_of(m) == "blue")
    reroll = next(c for c in blue.custom_ids() if c.startswith("fluxcord:reroll:"))
    await settled(await world.discord.click(blue, reroll, world.alice))
    await world.discord.wait_until(lambda: len(results(world.general)) == 3, timeout=TIMEOUT)
    assert world.providers.onemin.generation_bodies()[-1]["promptObject"]["prompt"] == (
        "a blue fox")
    assert await balance(world) == 50 - 15
