"""A hostile member or a broken provider through the whole bot: nobody else is hurt, and
no credit is held (SPEC sections 5 and 11)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.e2e_fixtures import World, is_settled, make_world, private_text, results, settled
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.images import make_image, rle_bmp, with_header_size
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio

HOSTILE = {
    # A 13000x13000 JPEG header: decoding it once took ~650 MB.
    "huge jpeg": (with_header_size(make_image(64, 64, "jpeg"), 13000, 13000), "bomb.jpg",
                  "image/jpeg", "13000×13000 pixels"),
    "huge png": (with_header_size(make_image(64, 64, "png"), 13000, 13000), "bomb.png",
                 "image/png", "13000×13000 pixels"),
    # Once decoded on the event loop, 0.5 s each.
    "bmp labelled png": (rle_bmp(), "photo.png", "image/png", "must be a PNG, JPEG or WebP"),
    "truncated png": (make_image(512, 512, "png")[:-64], "cut.png", "image/png",
                      "damaged or cut short"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_a_hostile_attachment_is_refused_privately_while_others_are_served(
    world: World, case: str
) -> None:
    data, filename, content_type, reason = HOSTILE[case]
    discord = world.discord
    elsewhere = discord.add_guild("Elsewhere")
    lobby = elsewhere.add_channel("lobby")
    carol = discord.add_user("carol")
    members = [discord.add_user(f"hostile{n}") for n in range(5)]
    attachment = discord.register_attachment(data, filename, content_type)
    hostile = [
        discord.slash(world.general, member, "imagine", prompt="a cat", model="flux-dev",
                      image=attachment)
        for member in members
    ]
    other = discord.slash(lobby, carol, "imagine", prompt="a quiet harbour", model="flux-dev")
    hostile_ix = [await ix for ix in hostile]
    other_ix = await other
    await other_ix.wait_for_ack(timeout=10)
    await settled(other_ix)
    assert len(results(lobby)) == 1, private_text(other_ix)
    services = world.runner.services
    assert services is not None
    for ix in hostile_ix:
        await settled(ix)
        assert reason in private_text(ix)
        assert "credits" not in private_text(ix) or "nothing was charged" in private_text(ix)
    assert results(world.general) == []
    for member in members:
        assert (await services.credits.balance(world.guild.id, member.id)).total == 50
    # Only carol's job reached a provider.
    assert world.providers.total_generations() == 1


async def test_a_hung_provider_leaves_another_providers_jobs_in_the_server_alone(
    world: World,
) -> None:
    # Seven members' flux-dev jobs hang at 1min.ai: six fill the server's limit there.
    discord, providers = world.discord, world.providers
    providers.onemin.inject("hang", times=20, seconds=30)
    stuck_members = [discord.add_user(f"patient{n}") for n in range(7)]
    stuck = [
        await discord.slash(world.general, member, "imagine", prompt=f"slow {n}",
                            model="flux-dev")
        for n, member in enumerate(stuck_members)
    ]
    await discord.wait_until(lambda: len(providers.onemin.generation_bodies()) >= 6,
                             timeout=10)
    # A FLUX1.1 [pro] job in the same server goes to a healthy apiframe at once.
    ix = await discord.slash(world.general, world.bob, "imagine", prompt="a lighthouse",
                             model="flux-1.1-pro")
    await settled(ix)
    assert "Done" in private_text(ix)
    assert providers.apiframe.generation_bodies()
    assert len(results(world.general)) == 1
    # ...while every job at 1min.ai is still stuck (they end, refunded, at shutdown).
    assert not any(is_settled(s) for s in stuck)


# --- a refund that cannot be written at first ------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs for the database, so that a test can fill it."""
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(folder: Path) -> Path:
    """Writes a file until the filesystem is full; returns it."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 512, 1):  # down to the last bytes of the last block
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    with pytest.raises(OSError) as full:
        (folder / "probe").write_bytes(b"\0" * 8192)
    assert full.value.errno == errno.ENOSPC
    return filler


@pytest.fixture
async def world_on_small_disk(
    tmp_path: Path, small_disk: Path, discord_standin: DiscordStandIn,
    provider_standins: ProviderStandIns,
) -> AsyncIterator[World]:
    async for world in make_world(tmp_path, discord_standin, provider_standins,
                                  DATABASE_URL=f"sqlite:///{small_disk / 'fluxcord.db'}"):
        yield world


async def test_a_refund_that_fails_on_a_full_disk_is_retried_until_written(
    world_on_small_disk: World, small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = world_on_small_disk
    services = world.runner.services
    assert services is not None
    onemin = world.providers.onemin
    # Both attempts at 1min.ai wait a moment, then fail: the job is refunded.
    onemin.inject("hang", times=2, seconds=0.5)
    caplog.set_level(logging.WARNING, logger="bot.jobs")
    ix = await world.discord.slash(world.general, world.alice, "imagine", prompt="a cat",
                                   model="flux-dev")
    await world.discord.wait_until(lambda: bool(onemin.generation_bodies()), timeout=10)
    filler = fill(small_disk)  # the disk fills while the job is at the provider

    def refund_failed() -> bool:
        return any("refund of job" in r.getMessage() for r in caplog.records)

    try:
        await world.discord.wait_until(refund_failed, timeout=15)
        assert not is_settled(ix)  # not told "credits are back" before they are
    finally:
        filler.unlink()
    await asyncio.wait_for(settled(ix), timeout=20)
    assert "credits are back" in private_text(ix)
    assert (await services.credits.balance(world.guild.id, world.alice.id)).total == 50
    assert await services.records.unfinished_jobs() == []
