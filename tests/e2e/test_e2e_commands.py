"""/credits, /safety, /models and direct messages, end to end through the Discord stand-in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.e2e_fixtures import (
    World,
    decode,
    embed_text,
    make_world,
    private_embed,
    private_text,
    results,
    settled,
)
from tests.support.standins.discord_api import CommandUnavailable, DiscordStandIn
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0


def balance_of(text: str) -> int:
    match = re.search(r"Balance: (\d+) credits", text)
    assert match, text
    return int(match.group(1))


async def test_balance_starts_at_the_allowance(world: World) -> None:
    ix = await settled(await world.discord.slash(world.general, world.alice, "credits",
                                                  "balance"))
    text = private_text(ix)
    assert text.startswith("Balance: 50 credits")
    assert "Bonus credits: 0" in text and "refills <t:" in text


async def test_grant_then_spend_takes_allowance_first(world: World) -> None:
    grant = await settled(await world.discord.slash(
        world.general, world.admin, "credits", "grant", member=world.alice, amount=10,
        reason="contest winner",
    ))
    assert "Their balance: 60 credits" in private_text(grant)
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                             prompt="a cat", model="flux-pro"))
    assert len(results(world.general)) == 1
    ix = await settled(await world.discord.slash(world.general, world.alice, "credits",
                                                  "balance"))
    text = private_text(ix)
    assert balance_of(text) == 55
    assert "Allowance left this period: 45 of 50" in text
    assert "Bonus credits: 10" in text


async def test_negative_grant_never_goes_below_zero(world: World) -> None:
    await settled(await world.discord.slash(world.general, world.admin, "credits", "grant",
                                             member=world.bob, amount=-500))
    ix = await settled(await world.discord.slash(world.general, world.bob, "credits",
                                                  "balance"))
    assert balance_of(private_text(ix)) == 50  # the allowance is not bonus: untouched


async def test_admin_commands_refuse_members_without_manage_server(world: World) -> None:
    for path, options in [
        (("grant",), {"member": world.alice, "amount": 100}),
        (("allowance",), {"amount": 1000}),
        (("budget",), {"amount": 1}),
    ]:
        ix = await settled(await world.discord.slash(world.general, world.bob, "credits",
                                                      *path, **options))
        assert "Manage Server" in private_text(ix), path
    ix = await settled(await world.discord.slash(world.general, world.bob, "credits",
                                                  "balance", member=world.alice))
    assert "Manage Server" in private_text(ix)
    # /safety is hidden from them by default; if an admin unhid it, the bot still checks.
    with pytest.raises(CommandUnavailable):
        await world.discord.slash(world.general, world.bob, "safety", "show")
    services = world.runner.services
    assert services is not None
    balance = await services.credits.balance(world.guild.id, world.alice.id)
    assert balance.total == 50


async def test_allowance_and_budget_change_what_can_be_spent(world: World) -> None:
    ix = await settled(await world.discord.slash(world.general, world.admin, "credits",
                                                  "allowance", amount=8, period_hours=12))
    assert "8 credits every 12 h" in private_text(ix)
    ix = await settled(await world.discord.slash(world.general, world.admin, "credits",
                                                  "budget", amount=5))
    assert "5 credits per day" in private_text(ix)
    first = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                     prompt="a cat", model="flux-1.1-pro"))
    assert len(results(world.general)) == 1, private_text(first)
    second = await settled(await world.discord.slash(world.general, world.bob, "imagine",
                                                      prompt="a dog", model="flux-1.1-pro"))
    assert "daily credit budget" in private_text(second) or "daily budget" in private_text(
        second
    )
    assert len(results(world.general)) == 1


async def test_safety_cap_per_channel_and_sfw_limit(world: World) -> None:
    ix = await settled(await world.discord.slash(world.general, world.admin, "safety", "cap",
                                                  level=5))
    assert "still applies" in private_text(ix)  # SFW_SAFETY_MAX=2 outside age-restricted
    ix = await settled(await world.discord.slash(world.general, world.admin, "safety", "cap",
                                                  level=4, channel=world.after_dark))
    assert "now 4" in private_text(ix)
    show = private_text(await settled(await world.discord.slash(
        world.general, world.admin, "safety", "show")))
    assert "Server cap: 5" in show
    assert f"<#{world.general.id}>: 2" in show
    assert f"<#{world.after_dark.id}>: 4" in show

    # In the age-restricted channel 4 is allowed and sent; 5 is refused with the cap.
    ok = await settled(await world.discord.slash(world.after_dark, world.alice, "imagine",
                                                  prompt="a cat", model="flux-pro",
                                                  safety_tolerance=4))
    assert len(results(world.after_dark)) == 1, private_text(ok)
    body = world.providers.onemin.generation_bodies()[-1]
    assert body["promptObject"]["safety_tolerance"] == 4
    refused = await settled(await world.discord.slash(world.after_dark, world.alice,
                                                       "imagine", prompt="a cat",
                                                       model="flux-pro", safety_tolerance=5))
    assert "cap of 4" in private_text(refused)
    # Unset: min(model default 2, cap) is sent.
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                             prompt="a dog", model="flux-2-pro"))
    assert world.providers.onemin.generation_bodies()[-1]["promptObject"][
        "safety_tolerance"] == 2


async def test_models_lists_cost_options_and_providers(world: World) -> None:
    ix = await settled(await world.discord.slash(world.general, world.bob, "models"))
    text = embed_text(private_embed(ix))
    for line in ("`flux-1.1-pro`\nCost: 4 credits", "`flux-pro`\nCost: 5 credits",
                 "`flux-2-pro`\nCost: 6 credits"):
        assert line in text
    assert "apiframe: healthy" in text and "1min.ai: healthy" in text
    assert "go_fast" in text


@pytest.fixture
async def keyless_world(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  ONEMIN_API_KEY=None, ALLOW_DMS=True):
        yield world


async def test_provider_without_key_is_not_configured_not_a_crash(keyless_world: World) -> None:
    world = keyless_world
    text = embed_text(private_embed(await settled(await world.discord.slash(
        world.general, world.bob, "models"))))
    assert "1min.ai: not configured" in text
    ix = await settled(await world.discord.slash(world.general, world.bob, "imagine",
                                                  prompt="a cat", model="flux-dev"))
    assert "not set up" in private_text(ix)
    assert world.providers.total_generations() == 0


async def test_commands_are_not_offered_in_direct_messages_by_default(world: World) -> None:
    dm = world.discord.dm_channel(world.alice)
    for command in world.discord.commands:
        assert command["contexts"] == [0], command["name"]
        if command.get("type", 1) != 1:  # a message menu (Check provenance): no slash
            continue
        with pytest.raises(CommandUnavailable):
            await world.discord.slash(dm, world.alice, command["name"], prompt="a cat")


async def test_buttons_in_direct_messages_obey_allow_dms(keyless_world: World) -> None:
    world = keyless_world
    dm = world.discord.dm_channel(world.alice)
    ix = await settled(await world.discord.slash(dm, world.alice, "imagine",
                                                  prompt="a cat", model="flux-1.1-pro"))
    assert len(results(dm)) == 1, private_text(ix)
    message = results(dm)[0]
    job = message.custom_ids()[0].rsplit(":", 1)[1]
    edit = await world.discord.click(message, f"fluxcord:edit:{job}", world.alice)
    await edit.wait_until(lambda ix: ix.modal is not None, timeout=TIMEOUT)
    assert edit.modal is not None

    # The operator turns DMs off: Discord stops offering the commands there, and the
    # buttons and the modal already open refuse.
    runner = world.runner
    runner.settings = runner.settings.model_copy(update={"ALLOW_DMS": False})
    await runner.restart()
    puts = world.discord.command_puts
    assert puts == 2  # the commands changed: registered again
    with pytest.raises(CommandUnavailable):
        await world.discord.slash(dm, world.alice, "imagine", prompt="a cat")
    for action in ("reroll", "edit"):
        clicked = await settled(await world.discord.click(message, f"fluxcord:{action}:{job}",
                                                           world.alice))
        assert "servers only" in private_text(clicked), action
        assert clicked.modal is None
    submitted = await settled(await world.discord.submit_modal(
        edit.modal["custom_id"], {"prompt": "a dog"}, world.alice, dm))
    assert "servers only" in private_text(submitted)
    assert len(results(dm)) == 1
    deleted = await world.discord.click(message, f"fluxcord:delete:{job}", world.alice)
    await deleted.wait_until(lambda ix: message.deleted, timeout=TIMEOUT)  # generates nothing
    services = runner.services
    assert services is not None
    balance = await services.credits.balance(0, world.alice.id)
    assert balance.total == 50 - 4


async def test_direct_messages_when_allowed_use_operator_defaults(keyless_world: World) -> None:
    world = keyless_world
    dm = world.discord.dm_channel(world.alice)
    ix = await settled(await world.discord.slash(dm, world.alice, "imagine",
                                                  prompt="a cat", model="flux-1.1-pro"))
    assert len(results(dm)) == 1, private_text(ix)
    refused = await settled(await world.discord.slash(dm, world.alice, "imagine",
                                                       prompt="a cat", model="flux-1.1-pro",
                                                       safety_tolerance=4))
    assert "cap of 2" in private_text(refused)


async def test_unexpected_error_is_an_apology_and_a_log_line(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    services = world.runner.services
    assert services is not None

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    services.credits.balance = broken  # type: ignore[method-assign]
    ix = await settled(await world.discord.slash(world.general, world.alice, "credits",
                                                  "balance"))
    text = private_text(ix)
    assert text.startswith("Something went wrong on our side")
    assert "database on fire" not in text
    logged = [r for r in caplog.records if r.name == "bot.client"]
    assert logged and "credits balance" in logged[-1].getMessage()
    assert str(world.alice.id) in logged[-1].getMessage()


async def test_server_default_model_is_used_when_none_is_given(world: World) -> None:
    with pytest.raises(CommandUnavailable):
        await world.discord.slash(world.general, world.bob, "default-model", model="flux-dev")
    ix = await settled(await world.discord.slash(world.general, world.admin, "default-model",
                                                  model="flux-dev"))
    assert "FLUX.1 [dev]" in private_text(ix)
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                             prompt="a cat"))
    body = world.providers.onemin.generation_bodies()[-1]
    assert body["model"] == "black-forest-labs/flux-dev"
    fields = {f["name"]: f["value"] for f in results(world.general)[-1].embeds[0]["fields"]}
    assert fields["Model"] == "FLUX.1 [dev]"
    await settled(await world.discord.slash(world.general, world.admin, "default-model"))
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                             prompt="a dog"))
    assert world.providers.apiframe.generation_bodies()[-1]["model"] == "flux-1.1-pro"


@pytest.fixture
async def demo_world(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  ONEMIN_API_KEY=None, APIFRAME_API_KEY=None,
                                  SEGMIND_API_KEY=None, PLACEHOLDER_PROVIDER=True):
        yield world


async def test_placeholder_serves_every_model_without_keys(demo_world: World) -> None:
    world = demo_world
    ix = await settled(await world.discord.slash(
        world.general, world.alice, "imagine", prompt="a demo", model="flux-pro",
        width=512, height=320, output_format="png",
    ))
    posted = results(world.general)
    assert len(posted) == 1, private_text(ix)
    image = decode(posted[0])
    assert (image.format, image.size) == ("PNG", (512, 320))
    fields = {f["name"]: f["value"] for f in posted[0].embeds[0]["fields"]}
    assert fields["Provider"] == "placeholder"
    assert world.providers.total_generations() == 0
    text = embed_text(private_embed(await settled(await world.discord.slash(
        world.general, world.bob, "models"))))
    assert "placeholder: healthy" in text
