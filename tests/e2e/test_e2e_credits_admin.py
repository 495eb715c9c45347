"""/credits history and /credits report end to end: pages that survive a restart, and a
CSV whose deltas add up to the ledger after jobs, refunds and grants."""

from __future__ import annotations

import csv
import gzip
import io
import re
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support.e2e_fixtures import World, embed_text, make_world, private_text, settled
from tests.support.standins.discord_api import DiscordStandIn, Message, User
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio
COLUMNS = ["time", "member_id", "delta", "bucket", "reason", "job_id", "model"]


async def slash(world: World, user: User, *path: str, **options: object) -> Any:
    return await settled(await world.discord.slash(world.general, user, *path, **options))


def answer(ix: Any) -> Message:
    assert ix.original is not None and ix.original.ephemeral
    return ix.original  # type: ignore[no-any-return]


def csv_rows(files: list[Any]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for attachment in files:
        if attachment.filename == "spend.png":
            continue
        data = attachment.data
        if attachment.filename.endswith(".gz"):
            data = gzip.decompress(data)
        reader = csv.DictReader(io.StringIO(data.decode()))
        assert reader.fieldnames == COLUMNS
        rows += list(reader)
    return rows


async def test_history_pages_newest_first_and_the_buttons_survive_a_restart(
    world: World,
) -> None:
    services = world.runner.services
    assert services is not None
    for n in range(1, 24):
        await services.credits.grant(world.guild.id, world.alice.id, n, f"gift {n}",
                                     world.admin.id)
    ix = await slash(world, world.alice, "credits", "history")
    first = answer(ix)
    text = embed_text(first.embeds[0])
    assert "Page 1 of 3" in first.embeds[0]["footer"]["text"]
    gifts = [int(n) for n in re.findall(r"gift (\d+)", text)]
    assert gifts == list(range(23, 13, -1))  # newest first, 10 a page

    await world.runner.restart()
    click = await world.discord.click(first, f"fluxcord:page:history:{world.alice.id}:1",
                                      world.alice)
    await click.wait_until(lambda c: bool(c.responses), timeout=10)
    text = embed_text(first.embeds[0])
    assert [int(n) for n in re.findall(r"gift (\d+)", text)] == list(range(13, 3, -1))
    click = await world.discord.click(first, f"fluxcord:page:history:{world.alice.id}:2",
                                      world.alice)
    await click.wait_until(lambda c: bool(c.responses), timeout=10)
    text = embed_text(first.embeds[0])
    assert [int(n) for n in re.findall(r"gift (\d+)", text)] == [3, 2, 1]
    assert "+3 credits" in text

    # Someone else's history: an admin may, a member may not.
    ix = await slash(world, world.admin, "credits", "history", member=world.alice)
    assert "gift 23" in embed_text(answer(ix).embeds[0])
    ix = await slash(world, world.bob, "credits", "history", member=world.alice)
    assert "Manage Server" in private_text(ix)


async def test_report_csv_adds_up_to_the_ledger_after_jobs_refunds_and_grants(
    world: World,
) -> None:
    services = world.runner.services
    assert services is not None
    await slash(world, world.admin, "credits", "grant", member=world.alice, amount=30,
                reason="contest")
    await slash(world, world.admin, "credits", "grant", member=world.bob, amount=5)
    await slash(world, world.admin, "credits", "grant", member=world.bob, amount=-8)
    for prompt in ("a cat", "a dog"):
        await slash(world, world.alice, "imagine", prompt=prompt, model="flux-pro")
    await slash(world, world.bob, "imagine", prompt="a fox", model="flux-1.1-pro")
    world.providers.onemin.inject("server_error", times=10, status=502)
    failed = await slash(world, world.bob, "imagine", prompt="a bee", model="flux-dev")
    assert "credits are back" in private_text(failed)
    assert await services.credits.audit() == []

    ix = await slash(world, world.admin, "credits", "report")
    message = answer(ix)
    assert [a.filename for a in message.attachments] == ["fluxcord-credits-7d.csv", "spend.png"]
    rows = csv_rows(message.attachments)
    # The chart: a real PNG, with the bars of the two models that were paid for.
    chart = Image.open(io.BytesIO(message.attachments[1].data))
    assert chart.format == "PNG" and chart.size == (800, 400)
    colours = {rgb for _, rgb in chart.convert("RGB").getcolors(maxcolors=1 << 16) or []}
    assert {(0x00, 0x72, 0xB2), (0xE6, 0x9F, 0x00)} <= colours
    assert len(colours) > 20  # text and axes too, not a blank card
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["time"]) for r in rows)

    # The deltas per member and bucket are exactly what the ledger holds.
    csv_sums: Counter[tuple[int, str]] = Counter()
    for row in rows:
        csv_sums[(int(row["member_id"]), row["bucket"])] += int(row["delta"])
    for user in (world.alice, world.bob):
        ledger = await services.credits.ledger(world.guild.id, user.id)
        for bucket in ("allowance", "bonus"):
            want = sum(e.delta for e in ledger if e.bucket == bucket)
            assert csv_sums[(user.id, bucket)] == want, (user.username, bucket)
        balance = await services.credits.balance(world.guild.id, user.id)
        # Everything started at 50 allowance and 0 bonus in this period.
        assert 50 + csv_sums[(user.id, "allowance")] + csv_sums[(user.id, "bonus")] \
            == balance.total
    ledgers = [await services.credits.ledger(world.guild.id, u.id)
               for u in (world.alice, world.bob)]
    assert len(rows) == sum(len(ledger) for ledger in ledgers)
    models = {r["model"] for r in rows if r["job_id"]}
    assert models == {"flux-pro", "flux-1.1-pro", "flux-dev"}

    summary = embed_text(message.embeds[0])
    assert "Spent on images: 17 credits; refunded: 3 credits; net: 14 credits" in summary
    assert "Granted by admins: 30 credits" in summary  # +30, +5, and -5 of the -8
    assert "Jobs posted: 3; failed (refunded): 1" in summary
    assert f"1. <@{world.alice.id}>: 10 credits, 2 posted, 0 failed" in summary
    assert f"2. <@{world.bob.id}>: 4 credits, 1 posted, 1 failed" in summary
    assert "FLUX.1 [dev]: 0 credits, 0 posted, 1 failed" in summary

    # One member's report holds only their rows.
    ix = await slash(world, world.admin, "credits", "report", days=1, member=world.bob)
    bob_rows = csv_rows(answer(ix).attachments)
    assert bob_rows and {r["member_id"] for r in bob_rows} == {str(world.bob.id)}
    assert await services.credits.audit() == []


@pytest.fixture
async def small_uploads(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins):
        world.guild.filesize_limit_override = 100_000
        yield world


async def test_a_reason_typed_as_a_formula_is_text_in_the_report_csv(world: World) -> None:
    await slash(world, world.admin, "credits", "grant", member=world.alice, amount=10,
                reason="=cmd|' /C calc'!A0")
    await slash(world, world.admin, "credits", "grant", member=world.alice, amount=-5,
                reason="@SUM(1+1)")

    rows = csv_rows(answer(await slash(world, world.admin, "credits", "report")).attachments)

    assert [(r["reason"], r["delta"]) for r in rows] == [
        ("'=cmd|' /C calc'!A0", "10"), ("'@SUM(1+1)", "-5")]


async def test_a_large_report_is_compressed_then_split_and_says_so(
    small_uploads: World,
) -> None:
    world = small_uploads
    services = world.runner.services
    assert services is not None
    for _ in range(1500):
        await services.credits.grant(world.guild.id, world.alice.id, 1, "weekly prize",
                                     world.admin.id)
    ix = await slash(world, world.admin, "credits", "report")
    message = answer(ix)
    assert [a.filename for a in message.attachments] == ["fluxcord-credits-7d.csv.gz",
                                                         "spend.png"]
    assert "gzip-compressed" in message.embeds[0]["footer"]["text"]
    assert sum(int(r["delta"]) for r in csv_rows(message.attachments)) == 1500

    # Reasons that do not compress: too large even with gzip, so it comes in parts.
    for _ in range(700):
        await services.credits.grant(world.guild.id, world.bob.id, 1, secrets.token_hex(80),
                                     world.admin.id)
    ix = await slash(world, world.admin, "credits", "report")
    message = answer(ix)
    names = [a.filename for a in message.attachments]
    assert len(names) >= 3 and names[0] == "fluxcord-credits-7d-part1.csv"
    assert names[-1] == "spend.png"
    assert all(a.size <= 100_000 for a in message.attachments)
    assert f"split into {len(names) - 1} parts" in message.embeds[0]["footer"]["text"]
    rows = csv_rows(message.attachments)
    assert len(rows) == 2200 and sum(int(r["delta"]) for r in rows) == 2200
