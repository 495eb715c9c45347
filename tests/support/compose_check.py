"""The compose run of scripts/docker-check: docker-compose.yml up against the stand-ins.

With the Discord and provider stand-ins on 127.0.0.1, brings docker-compose.yml up with
docker/compose.check.yml over it (the host's network, the images the check built, a free
port for PostgreSQL), waits until the bot service is healthy (its health check is
/readyz), posts one /imagine through it, restarts the bot container, waits until it is
healthy again, and reads the settled job from PostgreSQL. Tears everything down, volumes
included. Prints each step; exits 1 with the reasons when any step fails.

    python -m tests.support.compose_check --image fluxcord:check \
        --postgres-image fluxcord-postgres:check
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from tests.support.docker_check import CheckFailed, docker, env_file_from_example, step
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "fluxcord-compose-check"
PROMPT = "compose check: a harbour at dawn, ink wash"
PASSWORD = "composecheck"
METRICS_PORT = 9102  # docker-compose.yml's, which its health check probes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Compose:
    """`docker-compose` (or `docker compose`) on the operator's file and the check's."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = {**os.environ, **env}
        plugin = shutil.which("docker-compose") is None
        self.command = ["docker", "compose"] if plugin else ["docker-compose"]

    async def __call__(self, *args: str, check: bool = True) -> str:
        proc = await asyncio.create_subprocess_exec(
            *self.command, "--project-name", PROJECT, "--file", "docker-compose.yml",
            "--file", "compose.check.yml", *args, cwd=self.folder, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        text = out.decode(errors="replace")
        if check and proc.returncode != 0:
            raise CheckFailed(f"compose {args[0]} exited with {proc.returncode}:\n{text}")
        return text

    async def container(self, service: str) -> str:
        found = (await self("ps", "-q", service)).strip().splitlines()
        if not found:
            raise CheckFailed(f"the {service} service has no container")
        return found[-1]


async def wait_healthy(compose: Compose, service: str, timeout: float) -> None:  # noqa: ASYNC109
    """Waits until Docker's health check of `service` passes (the bot's probes /readyz)."""
    deadline = time.monotonic() + timeout
    status = "?"
    while time.monotonic() < deadline:
        container = await compose.container(service)
        status = (await docker("inspect", "--format", "{{.State.Health.Status}}",
                               container, check=False)).strip()
        if status == "healthy":
            step(f"{service}: healthy")
            return
        await asyncio.sleep(1)
    raise CheckFailed(f"{service} not healthy after {timeout:.0f} s (last: {status})")


async def read_job(compose: Compose) -> str:
    """The job's status, read in the postgres container with psql."""
    query = f"SELECT status FROM jobs WHERE prompt = '{PROMPT}'"
    return (await compose(
        "exec", "-T", "-e", f"PGPASSWORD={PASSWORD}", "postgres", "psql", "-h", "127.0.0.1",
        "-U", "fluxcord", "-d", "fluxcord", "-Atc", query,
    )).strip()


async def scenario(compose: Compose, discord: DiscordStandIn) -> None:
    guild = discord.add_guild("Compose check")
    channel = guild.add_channel("general")
    member = discord.add_user("member")
    await compose("up", "--detach", "--no-build")
    step("docker-compose.yml is up (postgres, then bot once postgres was healthy)")
    await discord.wait_for_ready(timeout=180)
    await discord.wait_until(
        lambda: any(c["name"] == "imagine" for c in discord.commands), 60, "/imagine registered"
    )
    await wait_healthy(compose, "bot", 180)
    await discord.slash(channel, member, "imagine", prompt=PROMPT, model="flux-1.1-pro")
    await discord.wait_until(
        lambda: any(m.attachments for m in channel.messages), 120, "the image posted"
    )
    step("/imagine answered: the image is posted in the channel")
    identified = discord.gateway.identify_count
    await compose("restart", "--timeout", "70", "bot")
    await discord.wait_for_ready(timeout=180, min_identifies=identified + 1)
    step("the bot container restarted and connected again")
    await wait_healthy(compose, "bot", 180)
    status = await read_job(compose)
    if status != "settled":
        raise CheckFailed(f"PostgreSQL has not the settled job: {status!r}")
    step("the settled job is in PostgreSQL")


async def main(image: str, postgres_image: str) -> int:
    if port_taken(METRICS_PORT):
        print(f"FAILED: port {METRICS_PORT} is taken; the bot's /readyz listens there")
        return 1
    async with DiscordStandIn() as discord, ProviderStandIns() as providers:
        values = {
            "DISCORD_TOKEN": discord.token,
            "DISCORD_API_BASE": discord.api_base,
            "DISCORD_GATEWAY_URL": discord.gateway_url,
            "APIFRAME_POLL_SECONDS": "0.2",
            "POSTGRES_PASSWORD": PASSWORD,
            **providers.settings_env(),
        }
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            shutil.copy(ROOT / "docker-compose.yml", folder)
            shutil.copy(ROOT / "docker" / "compose.check.yml", folder)
            (folder / ".env").write_text(env_file_from_example(ROOT / ".env.example", values))
            compose = Compose(folder, {
                "CHECK_BOT_IMAGE": image, "CHECK_POSTGRES_IMAGE": postgres_image,
                "CHECK_PGPORT": str(free_port()),
            })
            await compose("down", "--volumes", check=False)
            try:
                await scenario(compose, discord)
                logs = await compose("logs", "--no-color", "bot", check=False)
                if any(s in logs for s in [discord.token, *providers.keys.values()]):
                    raise CheckFailed("a secret (token or API key) appears in the bot's log")
            except (CheckFailed, TimeoutError) as exc:
                print(f"FAILED: {exc}", flush=True)
                logs = await compose("logs", "--no-color", "--tail", "30", check=False)
                print(f"   compose log:\n{logs}", flush=True)
                return 1
            finally:
                await compose("down", "--volumes", "--timeout", "70", check=False)
        problems = providers.violations + [str(r) for r in discord.unknown_requests]
        if problems:
            print("FAILED: the stand-ins saw requests off the contract:", *problems, sep="\n  ")
            return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="fluxcord:check")
    parser.add_argument("--postgres-image", default="fluxcord-postgres:check")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sys.exit(asyncio.run(main(args.image, args.postgres_image)))
