"""Start-up as the operator sees it: `python -m bot` against the Discord stand-in, its log read."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.support.standins.discord_api import DiscordStandIn

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]


async def start_bot_process(
    tmp_path: Path, discord: DiscordStandIn, **settings: str
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    env.update(
        PYTHONPATH=str(ROOT),
        DISCORD_TOKEN=discord.token,
        DISCORD_API_BASE=discord.api_base,
        DISCORD_GATEWAY_URL=discord.gateway_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'fluxcord.db'}",
        PLACEHOLDER_PROVIDER="true",
        LOG_LEVEL="INFO",
    )
    env.update(settings)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def read_until(process: asyncio.subprocess.Process, marker: str) -> list[str]:
    """The log lines up to and including the first that contains `marker`."""
    assert process.stderr is not None
    lines: list[str] = []
    while True:
        raw = await asyncio.wait_for(process.stderr.readline(), timeout=30)
        if not raw:
            raise AssertionError("the bot exited before " + repr(marker) + ":\n" + "".join(lines))
        lines.append(raw.decode())
        if marker in lines[-1]:
            return lines


async def stop_and_read(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.communicate(), timeout=30)


async def test_start_up_log_is_quiet_and_says_where_and_how_many(tmp_path: Path) -> None:
    async with DiscordStandIn() as discord:
        discord.add_guild("Moodboard")
        discord.add_guild("Studio")
        process = await start_bot_process(tmp_path, discord)
        try:
            lines = await read_until(process, "ready as")
        finally:
            await stop_and_read(process)
        log = "".join(lines)

    assert "voice will NOT be supported" not in log
    assert not [line for line in lines if " WARNING " in line or " ERROR " in line], log
    assert f"database: SQLite file {tmp_path / 'fluxcord.db'}" in log
    assert "in 2 servers" in lines[-1]
    assert discord.token not in log
    assert process.returncode == 0


async def test_start_up_says_when_no_model_can_be_served(tmp_path: Path) -> None:
    async with DiscordStandIn() as discord:
        discord.add_guild("Moodboard")
        process = await start_bot_process(tmp_path, discord, PLACEHOLDER_PROVIDER="false")
        try:
            log = "".join(await read_until(process, "ready as"))
        finally:
            await stop_and_read(process)
    warnings = [line for line in log.splitlines() if " WARNING " in line]
    assert len(warnings) == 1, log
    assert "no model can be served" in warnings[0]
    assert "PLACEHOLDER_PROVIDER" in warnings[0]
