"""A bad line in the operator's blocklist stops the start, each one reported on a line
of its own (`python -m bot`, as the operator runs it)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]


async def test_each_bad_blocklist_line_is_reported_and_the_bot_does_not_start(
    tmp_path: Path,
) -> None:
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("dragon\n# a comment\n/(a+)+$/\n\n/[unclosed/\nred fox\n",
                         encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN="never-used",
               DATABASE_URL=f"sqlite:///{tmp_path / 'fluxcord.db'}",
               BLOCKLIST_FILE=str(blocklist), PLACEHOLDER_PROVIDER="true")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    lines = err.decode().splitlines()
    assert process.returncode == 2, lines
    bad = [line.strip() for line in lines if line.strip().startswith("BLOCKLIST_FILE line")]
    assert [line.split(":")[0] for line in bad] == ["BLOCKLIST_FILE line 3",
                                                      "BLOCKLIST_FILE line 5"]
    assert not (tmp_path / "fluxcord.db").exists()  # refused before anything was opened
