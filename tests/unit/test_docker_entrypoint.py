"""The image's entrypoint puts the SQLite database on the /data volume whatever
DATABASE_URL says. Run with a stand-in `python3` that prints what the bot would get;
scripts/docker-check runs the real image."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.docker_check import env_file_from_example

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def run_entrypoint(tmp_path: Path, database_url: str | None, *args: str) -> tuple[str, str]:
    """What `python3` is started with (its DATABASE_URL, then its arguments), and stderr."""
    fake = tmp_path / "python3"
    fake.write_text('#!/bin/sh\necho "$DATABASE_URL" "$@"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    sh = shutil.which("sh")
    assert sh is not None
    done = subprocess.run(
        [sh, str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip(), done.stderr


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///data/fluxcord.db", "sqlite:////data/fluxcord.db"),
        ("sqlite:///fluxcord.db", "sqlite:////data/fluxcord.db"),
        ("sqlite:///servers/main.db", "sqlite:////data/servers/main.db"),
        ("sqlite:////data/fluxcord.db", "sqlite:////data/fluxcord.db"),
        ("", "sqlite:////data/fluxcord.db"),
        (None, "sqlite:////data/fluxcord.db"),
        ("postgresql://fluxcord:pw@postgres:5432/fluxcord",
         "postgresql://fluxcord:pw@postgres:5432/fluxcord"),
    ],
)
def test_relative_sqlite_paths_land_on_the_volume(
    tmp_path: Path, given: str | None, used: str
) -> None:
    out, err = run_entrypoint(tmp_path, given)
    assert out == f"{used} -m bot"
    assert err == ""


def test_an_absolute_path_off_the_volume_is_kept_with_a_warning(tmp_path: Path) -> None:
    out, err = run_entrypoint(tmp_path, "sqlite:////srv/fluxcord.db", "check")
    assert out == "sqlite:////srv/fluxcord.db -m bot check"
    assert "outside the /data volume" in err


def test_an_env_file_copied_from_the_example_keeps_the_database_on_the_volume(
    tmp_path: Path,
) -> None:
    """What `docker run --env-file .env` gives the container, .env made from the example."""
    text = env_file_from_example(ROOT / ".env.example", {"DISCORD_TOKEN": "t"})
    env = dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    out, _ = run_entrypoint(tmp_path, env.get("DATABASE_URL", ""))
    assert out.startswith("sqlite:////data/")
