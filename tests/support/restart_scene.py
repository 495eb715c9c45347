"""A real bot process (`python -m bot`) on one SQLite file, with apiframe, BFL and 1min.ai
stand-ins, for the tests of what survives a stop, a kill -9 and a cut upload
(`restart_scene`), and the helpers they share."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bot.continuity import store as continuity_store
from bot.credits.rows import Job
from bot.schema import open_store
from tests.e2e.test_e2e_continuity_kill import Scene
from tests.support.bot_process import BotProcess
from tests.support.e2e_fixtures import private_text
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns

# flux-pro goes to BFL alone, so a job of it waits at BFL.
CONFIG = """
[routing]
"flux-pro" = ["bfl"]
"""


async def restart_scene(tmp_path: Path, provider_standins: ProviderStandIns
                        ) -> AsyncIterator[Scene]:
    """The scene, its bot started and connected; the bot killed at the end."""
    config = tmp_path / "fluxcord.toml"
    config.write_text(CONFIG)
    async with DiscordStandIn() as discord:
        guild = discord.add_guild("Moodboard")
        channel = guild.add_channel("general")
        alice = discord.add_user("alice")
        url = f"sqlite:///{tmp_path / 'fluxcord.db'}"
        bot = BotProcess("bot", discord, tmp_path, DATABASE_URL=url,
                         APIFRAME_POLL_SECONDS="0.05", SHUTDOWN_GRACE_SECONDS="0.2",
                         POSTING_CHECK_SECONDS="1", FLUXCORD_CONFIG=str(config),
                         **provider_standins.settings_env(bfl=True))
        await bot.start()
        await bot.ready()
        try:
            yield Scene(discord, provider_standins, guild, channel, alice, url, bot)
        finally:
            for standin in provider_standins.all:
                standin.release()
            if bot.process is not None and bot.process.returncode is None:
                await bot.kill()
        assert discord.unknown_requests == []
        assert discord.internal_errors == []


async def stored_submissions(scene: Scene, count: int) -> list[str]:
    """The provider job ids once the bot has stored `count` of them, oldest job first."""
    db = await open_store(scene.url)
    try:
        for _ in range(600):
            ids = []
            for job in await scene.jobs():
                row = await db.read(lambda tx, i=job.id: continuity_store.resume_row(tx, i))
                if row is not None and row.provider_job_id:
                    ids.append(row.provider_job_id)
            if len(ids) == count:
                return ids
            await asyncio.sleep(0.05)
    finally:
        await db.close()
    raise AssertionError(f"not {count} provider jobs stored\n{scene.bot.log}")


async def check(scene: Scene) -> str:
    """What `python -m bot check` says, on the scene's settings and database."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "check", env=scene.bot.env, cwd=scene.bot.cwd,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL)
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return out.decode()


async def age_jobs(scene: Scene, seconds: float) -> None:
    """As if the bot had been down `seconds` longer."""
    db = await open_store(scene.url)
    try:
        await db.write(lambda tx: tx.execute(
            "UPDATE jobs SET updated_at = updated_at - $1, created_at = created_at - $1",
            seconds))
    finally:
        await db.close()


async def posting_then(scene: Scene, *, served: bool) -> tuple[object, Job]:
    """A flux-dev job whose upload's connection is cut (after Discord stored the message,
    or before); the member's text once the job has given up on the answer."""
    scene.discord.drop("POST", "/webhooks/{app}/{token}", served=served)
    ix = await scene.discord.slash(scene.channel, scene.alice, "imagine", prompt="a harbour",
                                   model="flux-dev")
    await ix.wait_until(lambda i: i.original is not None
                        and "Discord did not confirm" in private_text(i), timeout=20)
    (job,) = await scene.jobs()
    return ix, job
