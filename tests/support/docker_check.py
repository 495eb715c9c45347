"""The container run of scripts/docker-check: the built image against the stand-ins.

Starts the Discord and provider stand-ins on 127.0.0.1, then, with Docker on the host
network: runs `check` in the image (as uid 10001), starts the bot with an env file made
from .env.example (its DATABASE_URL line kept as an operator would copy it), dispatches one
/imagine, waits until the image is posted, stops the container as an operator would
(`docker stop -t 70`), removes it, and reads the database back from the named volume in a
fresh container. Prints each step; exits 1 with the reasons when any step fails.

    python -m tests.support.docker_check --image fluxcord:check --volume fluxcord-check-data
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import tempfile
from pathlib import Path

from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns

ROOT = Path(__file__).resolve().parents[2]
CONTAINER = "fluxcord-docker-check"
PROMPT = "docker check: a lighthouse at dusk, watercolour"
# Reads the job back from the volume, in the image's own Python (no sqlite3 tool there).
READ_JOB = (
    "import sqlite3, sys; "
    "db = sqlite3.connect('file:/data/fluxcord.db?mode=ro', uri=True); "
    "print(db.execute('SELECT status FROM jobs WHERE prompt = ?', (sys.argv[1],)).fetchall())"
)


class CheckFailed(Exception):
    """A step of the container run went wrong; the message says which and why."""


async def docker(*args: str, check: bool = True) -> str:
    """Runs `docker args...` without blocking the stand-ins; returns stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
        "docker", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    if check and proc.returncode != 0:
        raise CheckFailed(f"docker {args[0]} exited with {proc.returncode}:\n{text.strip()}")
    return text


def env_file_from_example(example: Path, values: dict[str, str]) -> str:
    """.env.example with `values` filled in where it names them (set or commented out) and
    the rest appended; every other line, DATABASE_URL's included, is kept as it is."""
    left = dict(values)
    lines = []
    for line in example.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#?([A-Z_][A-Z0-9_]*)=", line)
        if match and match.group(1) in left:
            name = match.group(1)
            line = f"{name}={left.pop(name)}"
        lines.append(line)
    lines += [f"{name}={value}" for name, value in left.items()]
    return "\n".join(lines) + "\n"


def step(text: str) -> None:
    print(f"-- {text}", flush=True)


async def run_check(image: str, env_file: Path, volume: str) -> None:
    """`check` in the container: runs as uid 10001 and finds the database on the volume."""
    uid = (await docker("run", "--rm", "--entrypoint", "id", image, "-u")).strip()
    if uid != "10001":
        raise CheckFailed(f"the image runs as uid {uid}, not 10001")
    step("the image runs as uid 10001")
    out = await docker(
        "run", "--rm", "--network", "host", "--env-file", str(env_file),
        "-v", f"{volume}:/data", image, "check",
    )
    print(out.rstrip(), flush=True)
    if "database: ok (/data/fluxcord.db)" not in out:
        raise CheckFailed("`check` did not open the database at /data/fluxcord.db")
    step("`check` passed as the non-root user")


async def run_bot(image: str, env_file: Path, volume: str, discord: DiscordStandIn) -> None:
    """The bot in its container serves one /imagine, then stops on SIGTERM."""
    guild = discord.add_guild("Docker check")
    channel = guild.add_channel("general")
    member = discord.add_user("member")
    await docker(
        "run", "--detach", "--name", CONTAINER, "--network", "host",
        "--env-file", str(env_file), "-v", f"{volume}:/data", image,
    )
    step(f"container {CONTAINER} started")
    await discord.wait_for_ready(timeout=120)
    await discord.wait_until(
        lambda: any(c["name"] == "imagine" for c in discord.commands), 60, "/imagine registered"
    )
    step("the bot is connected and its commands are registered")
    await discord.slash(channel, member, "imagine", prompt=PROMPT, model="flux-1.1-pro")
    await discord.wait_until(
        lambda: any(m.attachments for m in channel.messages), 120, "the image posted"
    )
    step("/imagine answered: the image is posted in the channel")
    await docker("stop", "--time", "70", CONTAINER)
    state = (await docker("inspect", "--format", "{{.State.ExitCode}}", CONTAINER)).strip()
    if state != "0":
        raise CheckFailed(f"the bot exited with {state} on SIGTERM, not 0")
    step("docker stop: the bot drained and exited 0")


async def check_logs(secrets: list[str]) -> None:
    logs = await docker("logs", CONTAINER)
    print("   container log, last lines:", flush=True)
    for line in logs.rstrip().splitlines()[-8:]:
        print(f"   | {line}", flush=True)
    if any(secret in logs for secret in secrets):
        raise CheckFailed("a secret (token or API key) appears in the container log")


async def check_volume(image: str, volume: str) -> None:
    """With the container gone, the job is read back from the named volume."""
    out = await docker(
        "run", "--rm", "-v", f"{volume}:/data", "--entrypoint", "python3", image,
        "-c", READ_JOB, PROMPT,
    )
    if out.strip() != "[('settled',)]":
        raise CheckFailed(f"the volume's /data/fluxcord.db has not the settled job: {out!r}")
    step(f"the settled job is in /data/fluxcord.db on the volume {volume}")


async def main(image: str, volume: str) -> int:
    # Docker's names must not collide with a previous run; the volume starts empty.
    await docker("rm", "--force", CONTAINER, check=False)
    await docker("volume", "rm", "--force", volume, check=False)
    async with DiscordStandIn() as discord, ProviderStandIns() as providers:
        values = {
            "DISCORD_TOKEN": discord.token,
            "DISCORD_API_BASE": discord.api_base,
            "DISCORD_GATEWAY_URL": discord.gateway_url,
            "APIFRAME_POLL_SECONDS": "0.2",
            # A relative path, as an operator's .env may carry: it must still land on /data.
            "DATABASE_URL": "sqlite:///data/fluxcord.db",
            **providers.settings_env(),
        }
        with tempfile.TemporaryDirectory() as tmp:
            env_file = Path(tmp) / "env"
            env_file.write_text(env_file_from_example(ROOT / ".env.example", values))
            try:
                await run_check(image, env_file, volume)
                await run_bot(image, env_file, volume, discord)
                await check_logs([discord.token, *providers.keys.values()])
                await check_volume(image, volume)
            except (CheckFailed, TimeoutError) as exc:
                print(f"FAILED: {exc}", flush=True)
                logs = await docker("logs", "--tail", "30", CONTAINER, check=False)
                if "No such container" not in logs:
                    print(f"   container log:\n{logs}", flush=True)
                return 1
            finally:
                await docker("rm", "--force", CONTAINER, check=False)
        problems = providers.violations + [str(r) for r in discord.unknown_requests]
        if problems:
            print("FAILED: the stand-ins saw requests off the contract:", *problems, sep="\n  ")
            return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="fluxcord:check")
    parser.add_argument("--volume", default="fluxcord-check-data")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sys.exit(asyncio.run(main(args.image, args.volume)))
