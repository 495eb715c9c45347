"""fluxcord as a real OS process (`python -m bot`) against the stand-ins on 127.0.0.1,
with its log read as it comes: for the tests of several processes on one database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.support.standins.discord_api import DiscordStandIn

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """One `python -m bot` process; `await start()`, then `ready()`, `stop()` or `kill()`."""

    def __init__(self, name: str, discord: DiscordStandIn, cwd: Path, **settings: str) -> None:
        self.name = name
        self.env = {k: v for k, v in os.environ.items()
                    if not k.isupper() or k in ("PATH", "HOME")}
        self.env.update(
            PYTHONPATH=str(ROOT),
            DISCORD_TOKEN=discord.token,
            DISCORD_API_BASE=discord.api_base,
            DISCORD_GATEWAY_URL=discord.gateway_url,
            LOG_LEVEL="INFO",
        )
        self.env.update(settings)
        self.cwd = cwd
        self.lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> BotProcess:
        self.lines = []
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=self.env, cwd=self.cwd,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while raw := await self.process.stderr.readline():
            self.lines.append(raw.decode())
            self._changed.set()
        self._changed.set()

    @property
    def log(self) -> str:
        return "".join(self.lines)

    async def wait_for(self, marker: str, timeout: float = 60.0) -> str:  # noqa: ASYNC109
        """The first log line holding `marker`; fails if the process ends first."""
        async def seek() -> str:
            seen = 0
            while True:
                for line in self.lines[seen:]:
                    if marker in line:
                        return line
                seen = len(self.lines)
                if self._reader is not None and self._reader.done():
                    raise AssertionError(f"{self.name} ended before {marker!r}:\n{self.log}")
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(seek(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name}: no {marker!r} in {timeout} s:\n{self.log}"
                                 ) from None

    async def ready(self) -> None:
        """Waits until the bot is connected (what it refunds at start is refunded by then)."""
        await self.wait_for("ready as")

    async def exit_code(self, timeout: float = 60.0) -> int:  # noqa: ASYNC109
        assert self.process is not None
        code = await asyncio.wait_for(self.process.wait(), timeout)
        if self._reader is not None:
            await self._reader
        return code

    async def stop(self) -> int:
        """SIGTERM, as `docker stop` sends: jobs in flight get the grace period."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.exit_code()

    async def kill(self) -> None:
        """kill -9: nothing runs after it, not even a finally."""
        assert self.process is not None
        self.process.kill()
        await self.exit_code()
