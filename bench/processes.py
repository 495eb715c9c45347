"""The measured clients as real subprocesses: start, read their CPU time and peak RSS from
/proc, stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


class ClientProcess:
    """`python -m MODULE ARGS...` with its own environment; output goes to `log_path`."""

    def __init__(self, module: str, args: list[str], env: dict[str, str], cwd: Path,
                 log_path: Path) -> None:
        self.argv = [sys.executable, "-m", module, *args]
        self.env = {**env, "PYTHONPATH": str(ROOT)}
        self.cwd = cwd
        self.log_path = log_path
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        with self.log_path.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                *self.argv, env=self.env, cwd=self.cwd, stdin=asyncio.subprocess.DEVNULL,
                stdout=log, stderr=asyncio.subprocess.STDOUT,
            )

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the process (all its threads) so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def page_faults(self) -> int:
        """Minor page faults of the process so far: pages the kernel mapped in (and zeroed)
        on first touch, as a fresh buffer of an image's size costs."""
        return int(Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[7])

    def peak_rss(self) -> int:
        """The process's peak resident set size in bytes (VmHWM)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM in /proc status")

    async def stop(self, timeout: float = 10.0) -> int | None:  # noqa: ASYNC109
        """SIGINT (the bot's clean shutdown), then SIGKILL after `timeout`."""
        process = self._process
        if process is None or process.returncode is not None:
            return process.returncode if process else None
        process.send_signal(signal.SIGINT)
        try:
            return await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            return await process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
