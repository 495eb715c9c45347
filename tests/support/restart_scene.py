"""A real bot process (`python -m bot`) on one SQLite file, with apiframe, BFL and 1min.ai
stand-ins, for the tests of what survives a stop, a kill -9 and a cut upload
(`restart_scene`), and the helpers they share."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.continuity import store as continuity_store
from bot.credits import CreditDefaults, Credits
from bot.credits import store as credits_store
from bot.credits.rows import Job
from bot.schema import open_store
from tests.support.bot_process import BotProcess
from tests.support.e2e_fixtures import private_text
from tests.support.standins.discord_api import Channel, DiscordStandIn, Guild, User
from tests.support.standins.providers import ProviderStandIns

# flux-pro goes to BFL alone, so a job of it waits at BFL.
CONFIG = """
[routing]
"flux-pro" = ["bfl"]
"""


@dataclass
class Scene:
    discord: DiscordStandIn
    providers: ProviderStandIns
    guild: Guild
    channel: Channel
    alice: User
    url: str
    bot: BotProcess

    async def jobs(self) -> list[Job]:
        """Every job, oldest first."""
        db = await open_store(self.url)
        try:
            rows = await db.read(lambda tx: tx.dump("jobs"))
            jobs = [await db.read(lambda tx, i=str(row[0]): credits_store.job(tx, i))
                    for row in rows]
        finally:
            await db.close()
        return sorted((j for j in jobs if j is not None), key=lambda j: j.created_at)

    async def wait_for(self, what: str, check: Callable[[list[Job]], bool],
                       timeout: float = 30.0) -> list[Job]:  # noqa: ASYNC109
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            jobs = await self.jobs()
            if check(jobs):
                return jobs
            await asyncio.sleep(0.05)
        raise AssertionError(f"never {what}: {await self.jobs()}\n{self.bot.log}")

    async def ledger_moves(self, job_id: str) -> list[str]:
        db = await open_store(self.url)
        try:
            ledger = await db.read(
                lambda tx: credits_store.ledger(tx, self.guild.id, self.alice.id))
            assert await Credits(db, CreditDefaults()).audit() == []
        finally:
            await db.close()
        return sorted(e.reason for e in ledger if e.job_id == job_id)

    async def balance(self) -> int:
        db = await open_store(self.url)
        try:
            return (await Credits(db, CreditDefaults()).balance(self.guild.id,
                                                                self.alice.id)).total
        finally:
            await db.close()

    async def restart(self, **settings: str) -> None:
        """kill -9 (unless already done), then a new process on the same database."""
        assert self.bot.process is not None
        if self.bot.process.returncode is None:
            await self.bot.kill()
        self.bot.env.update(settings)
        await self.bot.start()
        await self.bot.ready()


def buttons(message: object) -> list[str]:
    """The labels of a message's buttons."""
    rows = getattr(message, "components", None) or []
    return [c.get("label") for row in rows for c in row.get("components", [])]


async def restart_scene(tmp_path: Path, provider_standins: ProviderStandIns, *,
                        config: str | None = CONFIG, bfl: bool = True,
                        posting_check_seconds: str | None = "1") -> AsyncIterator[Scene]:
    """The scene, its bot started and connected; the bot killed at the end. `config`,
    the config file's text (None: no file); `bfl`, whether BFL's stand-in is set up."""
    env = provider_standins.settings_env(bfl=bfl)
    if config is not None:
        path = tmp_path / "fluxcord.toml"
        path.write_text(config)
        env["FLUXCORD_CONFIG"] = str(path)
    if posting_check_seconds is not None:
        env["POSTING_CHECK_SECONDS"] = posting_check_seconds
    async with DiscordStandIn() as discord:
        guild = discord.add_guild("Moodboard")
        channel = guild.add_channel("general")
        alice = discord.add_user("alice")
        url = f"sqlite:///{tmp_path / 'fluxcord.db'}"
        bot = BotProcess("bot", discord, tmp_path, DATABASE_URL=url,
                         APIFRAME_POLL_SECONDS="0.05", SHUTDOWN_GRACE_SECONDS="0.2", **env)
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
