"""/server and the administration side of /credits, end to end through the Discord
stand-in: settings, allowed models, the log channel, tiers, ceilings and refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.e2e_fixtures import (
    World,
    embed_text,
    private_embed,
    private_text,
    results,
    settled,
)
from tests.support.standins.discord_api import CommandUnavailable, Perm, User

pytestmark = pytest.mark.asyncio


async def slash(world: World, user: User, *path: str, **options: object) -> Any:
    """Runs a slash command in #general and waits for its last word."""
    return await settled(await world.discord.slash(world.general, user, *path, **options))


def balance_of(text: str) -> int:
    match = re.search(r"Balance: (\d+) credits", text)
    assert match, text
    return int(match.group(1))


async def test_admin_commands_are_hidden_or_refused_for_members(world: World) -> None:
    # /server is hidden from members without Manage Server ...
    hidden: list[tuple[tuple[str, ...], dict[str, object]]] = [
        (("settings",), {}),
        (("models",), {"model": "flux-pro", "enabled": False}),
        (("log-channel",), {}),
    ]
    for path, options in hidden:
        with pytest.raises(CommandUnavailable):
            await world.discord.slash(world.general, world.bob, "server", *path, **options)
    # ... /credits stays open for balance and history, so its admin commands refuse.
    role = world.guild.add_role("patron")
    refused: list[tuple[tuple[str, ...], dict[str, object]]] = [
        (("report",), {}),
        (("allowance",), {}),
        (("budget",), {}),
        (("tier", "set"), {"role": role, "amount": 100}),
        (("tier", "remove"), {"role": role}),
        (("history",), {"member": world.alice}),
    ]
    for path, options in refused:
        ix = await slash(world, world.bob, "credits", *path, **options)
        assert "Manage Server" in private_text(ix), path
    assert await world.runner.services.admin.tiers(world.guild.id) == []  # type: ignore[union-attr]


async def test_allowance_and_budget_without_an_amount_show_what_is_in_force(
    world: World,
) -> None:
    text = private_text(await slash(world, world.admin, "credits", "allowance"))
    assert "50 credits every 24 h" in text
    await slash(world, world.alice, "imagine", prompt="a cat", model="flux-pro")
    text = private_text(await slash(world, world.admin, "credits", "budget"))
    assert "2,000 credits per day" in text and "5 credits spent today" in text
    assert "1,995 credits left" in text


async def test_ceilings_refuse_and_name_themselves(world: World) -> None:
    ix = await slash(world, world.admin, "credits", "allowance", amount=5000)
    assert "MAX_ALLOWANCE" in private_text(ix) and "1,000 credits" in private_text(ix)
    ix = await slash(world, world.admin, "credits", "budget", amount=50_000)
    assert "MAX_DAILY_BUDGET" in private_text(ix) and "20,000 credits" in private_text(ix)
    role = world.guild.add_role("whale")
    ix = await slash(world, world.admin, "credits", "tier", "set", role=role, amount=1001)
    assert "MAX_ALLOWANCE" in private_text(ix)
    services = world.runner.services
    assert services is not None
    config = await services.guilds.guild_config(world.guild.id)
    assert (config.allowance, config.daily_budget) == (50, 2000)
    assert await services.admin.tiers(world.guild.id) == []


async def test_removing_more_bonus_than_there_is_says_what_was_removed(world: World) -> None:
    await slash(world, world.admin, "credits", "grant", member=world.alice, amount=200)
    ix = await slash(world, world.admin, "credits", "grant", member=world.alice,
                     amount=-1000)
    text = private_text(ix)
    assert "Removed 200 bonus credits" in text and "1,000" not in text
    assert "Their balance: 50 credits" in text


async def test_role_tier_gives_its_allowance_while_the_role_is_held(world: World) -> None:
    patron = world.guild.add_role("patron")
    ix = await slash(world, world.admin, "credits", "tier", "set", role=patron, amount=120,
                     period_hours=48)
    assert "120 credits every 48 h" in private_text(ix)
    world.guild.give_role(world.alice, patron)
    text = private_text(await slash(world, world.alice, "credits", "balance"))
    assert balance_of(text) == 120 and f"the tier of <@&{patron}>" in text
    text = private_text(await slash(world, world.bob, "credits", "balance"))
    assert balance_of(text) == 50 and "this server's allowance" in text
    # A job charges the tier's allowance: 120 - 5.
    await slash(world, world.alice, "imagine", prompt="a cat", model="flux-pro")
    assert len(results(world.general)) == 1
    assert balance_of(private_text(await slash(world, world.alice, "credits",
                                               "balance"))) == 115
    # Without the role, the server's allowance applies again at once.
    world.guild.give_role(world.alice, patron, held=False)
    assert balance_of(private_text(await slash(world, world.alice, "credits",
                                               "balance"))) == 45
    ix = await slash(world, world.admin, "credits", "tier", "remove", role=patron)
    assert "no longer has a tier" in private_text(ix)
    world.guild.give_role(world.alice, patron)
    assert balance_of(private_text(await slash(world, world.alice, "credits",
                                               "balance"))) == 45


async def test_forbidden_model_is_refused_for_imagine_and_buttons(world: World) -> None:
    first = await slash(world, world.alice, "imagine", prompt="a cat", model="flux-pro")
    assert len(results(world.general)) == 1, private_text(first)
    message = results(world.general)[0]
    ix = await slash(world, world.admin, "server", "models", model="flux-pro",
                     enabled=False)
    assert "FLUX.1 [pro] is now forbidden" in private_text(ix)
    services = world.runner.services
    assert services is not None
    before = await services.credits.balance(world.guild.id, world.alice.id)

    refused = private_text(await slash(world, world.alice, "imagine", prompt="a dog",
                                       model="flux-pro"))
    assert "not allowed in this server" in refused
    assert "`flux-1.1-pro`" in refused and "`flux-dev`" in refused
    assert "`flux-pro`" not in refused
    job = next(c for c in message.custom_ids() if c.startswith("fluxcord:reroll:"))
    reroll = await settled(await world.discord.click(message, job, world.alice))
    assert "not allowed in this server" in private_text(reroll)
    assert len(results(world.general)) == 1
    after = await services.credits.balance(world.guild.id, world.alice.id)
    assert after.total == before.total

    models = embed_text(private_embed(await slash(world, world.alice, "models")))
    assert "FLUX.1 [pro] (not allowed in this server)" in models
    await slash(world, world.admin, "server", "models", model="flux-pro", enabled=True)
    again = await slash(world, world.alice, "imagine", prompt="a dog", model="flux-pro")
    assert len(results(world.general)) == 2, private_text(again)


async def test_server_settings_shows_everything_in_force(world: World) -> None:
    patron = world.guild.add_role("patron")
    log = world.guild.add_channel("admin-log")
    await slash(world, world.admin, "credits", "allowance", amount=30, period_hours=12)
    await slash(world, world.admin, "credits", "budget", amount=900)
    await slash(world, world.admin, "credits", "tier", "set", role=patron, amount=80)
    await slash(world, world.admin, "safety", "cap", level=4, channel=world.after_dark)
    await slash(world, world.admin, "server", "models", model="flux-2-pro", enabled=False)
    await slash(world, world.admin, "safety", "cap", level=4, channel=world.after_dark)
    await slash(world, world.admin, "server", "log-channel", channel=log)
    await slash(world, world.alice, "imagine", prompt="a cat", model="flux-pro")
    services = world.runner.services
    assert services is not None
    config_before = await services.guilds.guild_config(world.guild.id)

    text = embed_text(private_embed(await slash(world, world.admin, "server", "settings")))
    assert "Allowance: 30 credits every 12 h" in text
    assert "Daily budget: 900 credits; spent today 5 credits, left 895 credits" in text
    assert f"<@&{patron}>: 80 credits every 12 h" in text
    assert "Default: FLUX1.1 [pro]" in text
    assert "Forbidden here: FLUX.2 [pro]" in text
    assert f"<#{world.after_dark.id}>: 4 (age-restricted)" in text
    assert f"Log channel: <#{log.id}>" in text
    assert "MAX_" not in text and "1,000 credits" in text  # the ceilings, in words
    assert await services.guilds.guild_config(world.guild.id) == config_before


async def test_server_settings_pages_many_channel_caps_also_after_restart(
    world: World,
) -> None:
    channels = [world.guild.add_channel(f"room-{n:03d}") for n in range(150)]
    services = world.runner.services
    assert services is not None
    for channel in channels:
        await services.guilds.set_safety_cap(world.guild.id, 1, channel.id)
    ix = await slash(world, world.admin, "server", "settings")
    first = private_embed(ix)
    assert sum(len(f["value"]) for f in first["fields"]) <= 6000
    match = re.search(r"Page 1 of (\d+)", first["footer"]["text"])
    assert match and int(match.group(1)) >= 2
    pages = int(match.group(1))
    seen = embed_text(first)
    await world.runner.restart()  # the buttons are rebuilt from their ids
    for page in range(1, pages):
        click = await world.discord.click(ix.original, f"fluxcord:page:settings:"
                                          f"{world.guild.id}:{page}", world.admin)
        await click.wait_until(lambda c: bool(c.responses), timeout=10)
        embed = ix.original.embeds[0]
        assert f"Page {page + 1} of {pages}" in embed["footer"]["text"]
        seen += embed_text(embed)
    for channel in channels:
        assert f"<#{channel.id}>: 1" in seen


async def test_log_channel_reports_admin_events_in_one_line_each(world: World) -> None:
    log = world.guild.add_channel("admin-log")
    patron = world.guild.add_role("patron")
    ix = await slash(world, world.admin, "server", "log-channel", channel=log)
    assert f"reported in <#{log.id}>" in private_text(ix)
    await slash(world, world.admin, "credits", "grant", member=world.alice, amount=5,
                reason="the **contest** @everyone")  # shown as typed
    await slash(world, world.admin, "credits", "allowance", amount=40)
    await slash(world, world.admin, "credits", "budget", amount=10)
    await slash(world, world.admin, "credits", "tier", "set", role=patron, amount=60)
    await slash(world, world.admin, "safety", "cap", level=3, channel=world.after_dark)
    await slash(world, world.admin, "server", "models", model="flux-2-pro", enabled=False)
    # The budget of 10: 5 (50 %), then 4 (90 %: the 80 % line), then 1 (100 %).
    await slash(world, world.alice, "imagine", prompt="a cat", model="flux-pro")
    await slash(world, world.bob, "imagine", prompt="a dog", model="flux-1.1-pro")
    await slash(world, world.bob, "imagine", prompt="a fox", model="flux-dev",
                megapixels="0.25")
    refused = await slash(world, world.bob, "imagine", prompt="a bee", model="flux-dev",
                          megapixels="0.25")
    assert "budget" in private_text(refused)
    # A moderator deletes Alice's image.
    image = results(world.general)[0]  # Alice's
    delete = next(c for c in image.custom_ids() if c.startswith("fluxcord:delete:"))
    await settled(await world.discord.click(image, delete, world.admin))

    # Posted after each answer, at the pace of the channel's rate limit.
    await world.discord.wait_until(lambda: len(log.messages) >= 10, timeout=30)
    lines = [str(m.content) for m in log.messages]
    admin = world.admin.mention
    expected = [
        f"{admin} chose this channel",
        f"{admin} granted 5 bonus credits to {world.alice.mention}: "
        "the \\*\\*contest\\*\\* @\u200beveryone",
        f"{admin} set the allowance to 40 credits",
        f"{admin} set the daily budget to 10 credits",
        f"{admin} set the tier of <@&{patron}> to 60 credits",
        f"{admin} set the safety cap of <#{world.after_dark.id}> to 3",
        f"{admin} forbidden FLUX.2 [pro]",
        "Budget: 80 % of today's 10 credits is spent",
        "Budget: 100 % of today's 10 credits is spent",
        f"{admin} deleted an image by",
    ]
    assert len(lines) == len(expected), lines
    for start in expected:  # posts wait for the rate limit, so their order may vary
        assert len([line for line in lines if line.startswith(start)]) == 1, (start, lines)
    assert all("\n" not in line and len(line) < 200 for line in lines)


async def test_a_log_channel_closed_to_the_bot_is_reported_to_its_admin_once(
    world: World,
) -> None:
    log = world.guild.add_channel("admin-log")
    await slash(world, world.admin, "server", "log-channel", channel=log)
    await world.discord.wait_until(lambda: len(log.messages) == 1, timeout=10)
    log.bot_denied = Perm.SEND_MESSAGES  # someone takes the bot's permission away
    world.guild.rename("**Mood**board @everyone")  # seen by the bot before the next command
    for amount in (1, 2, 3):
        await slash(world, world.admin, "credits", "grant", member=world.bob, amount=amount)

    def refused_posts() -> int:
        path = f"/channels/{log.id}/messages"
        return len([r for r in world.discord.requests
                    if r.method == "POST" and r.path.endswith(path) and r.status == 403])

    await world.discord.wait_until(lambda: refused_posts() == 3, timeout=10)
    dms = world.discord.dm_channel(world.admin)
    await world.discord.wait_until(lambda: bool(dms.messages), timeout=10)
    warnings = [m for m in dms.messages if "cannot post admin events" in str(m.content)]
    assert len(warnings) == 1 and f"<#{log.id}>" in str(warnings[0].content)
    # Which server it is about, its name shown as typed (no markup, no mention).
    assert "(\\*\\*Mood\\*\\*board @\u200beveryone)" in str(warnings[0].content)
    assert len(log.messages) == 1  # only the line from before it was closed

    # Choosing a channel the bot cannot post in is said at once, to the admin choosing it.
    closed = world.guild.add_channel("closed")
    closed.bot_denied = Perm.SEND_MESSAGES
    ix = await slash(world, world.admin, "server", "log-channel", channel=closed)
    assert "cannot post there" in private_text(ix)
