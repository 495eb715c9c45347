"""`python -m bot` runs the bot; `python -m bot check` validates the set-up and exits.

`python -m bot --sync` runs the bot and registers the slash commands with Discord even
when they have not changed (the owner's way to force it; normally they are registered
only when they differ from the last registration).

`python -m bot migrate-to postgresql://user:password@host:port/dbname` copies every row of
the configured (SQLite) database into that empty PostgreSQL database and checks the credit
audit on both sides; stop the bot first, then point DATABASE_URL at the new database.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import discord
import yarl

from bot.fleet import ShardTaken
from bot.log import describe_database, quiet_voice_warnings, setup_logging
from bot.memory import give_back_when_idle, reuse_image_buffers, settle_collector_when
from bot.moderation import BlocklistFileError
from bot.provenance.signing import SigningError
from bot.settings import Settings, SettingsError, load_settings
from bot.storage import StorageError

if TYPE_CHECKING:
    from bot.client import FluxBot
    from bot.providers.router import Router
    from bot.services import Services

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("command", nargs="?", choices=("run", "check", "migrate-to"),
                        default="run")
    parser.add_argument("target", nargs="?", help="migrate-to: the new database's URL")
    parser.add_argument("--sync", action="store_true", help="register slash commands now")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.stderr.write("fluxcord cannot start; fix these settings (environment or .env):\n")
        sys.stderr.writelines(f"  {line}\n" for line in exc.lines)
        return 2
    secrets = settings.secrets()
    if args.target:
        secrets += url_secrets(args.target)
    setup_logging(settings.LOG_LEVEL, secrets, settings.LOG_FORMAT)
    quiet_voice_warnings()
    reuse_image_buffers()
    with event_loop_runner() as runner:
        if args.command == "check":
            return runner.run(check(settings))
        if args.command == "migrate-to":
            if not args.target:
                parser.error("migrate-to needs the new database's URL")
            return runner.run(migrate_to(settings, args.target))
        return _run_bot(runner, settings, force_sync=args.sync)


def event_loop_runner() -> asyncio.Runner:
    """uvloop's event loop where it is installed (Linux, macOS), asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def _run_bot(runner: asyncio.Runner, settings: Settings, *, force_sync: bool) -> int:
    try:
        return runner.run(run(settings, force_sync=force_sync))
    except KeyboardInterrupt:
        pass
    except discord.LoginFailure:
        log.error("Discord refused DISCORD_TOKEN; check the token in the Developer Portal")
        return 1
    except BlocklistFileError as exc:
        sys.stderr.write("fluxcord cannot start; fix these lines of the blocklist file:\n")
        sys.stderr.writelines(f"  {line}\n" for line in exc.lines)
        return 2
    except ShardTaken as exc:
        log.error("fluxcord cannot start: %s", exc)
        return 1
    except StorageError as exc:
        # Its text names the database without its password (`bot.storage.redact_url`).
        log.error("fluxcord stopped: the database failed: %s", exc)
        return 1
    except SigningError as exc:
        sys.stderr.write(f"fluxcord cannot start: {exc}\n")
        return 2
    return 0


def point_at_discord(settings: Settings) -> None:
    """Aims discord.py at a Discord-compatible server other than discord.com, if set."""
    if settings.DISCORD_API_BASE is not None:
        discord.http.Route.BASE = str(settings.DISCORD_API_BASE).rstrip("/")
    if settings.DISCORD_GATEWAY_URL:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.DISCORD_GATEWAY_URL)


async def run(settings: Settings, *, force_sync: bool = False) -> int:
    """Runs the bot until it is stopped; 1 when it stopped because it lost its shards."""
    from bot.app import open_services
    from bot.client import FluxBot
    from bot.endpoint import serve_metrics
    from bot.fleet import ShardSet, hold_shards

    point_at_discord(settings)
    log.info("database: %s", describe_database(settings.DATABASE_URL))
    shards = ShardSet.from_settings(settings)
    async with open_services(settings) as services, hold_shards(
        services.store, shards, settings.database_name
    ) as fleet, FluxBot(services, force_sync=force_sync, fleet=fleet) as client:
        router = services.router
        if fleet.leases is not None:  # PostgreSQL: the providers' limits hold fleet-wide
            fleet.leases.share(router)
        if not router.servable_models():
            log.warning(
                "no model can be served: no provider has an API key and PLACEHOLDER_PROVIDER "
                "is off; /imagine will refuse every request until one is set"
            )
        if settings.OPS_CHANNEL_ID is not None:
            router.notify = channel_poster(client, settings.OPS_CHANNEL_ID)
        router.start_health_checks(settings.HEALTH_CHECK_SECONDS)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(
                signum, lambda: asyncio.ensure_future(stop(client, settings.SHUTDOWN_GRACE_SECONDS))
            )
        watch = asyncio.create_task(stop_when_lost(client, settings.SHUTDOWN_GRACE_SECONDS))
        # The heap keeps a burst's image buffers for the next jobs; given back when idle.
        giving_back = asyncio.create_task(give_back_when_idle(lambda: router.results.held))
        settling = asyncio.create_task(settle_collector_when(client.recovered))
        try:
            # Up before Discord is: /readyz says 503 until connected, and while draining.
            async with serve_metrics(services, client):
                await client.start(settings.DISCORD_TOKEN.get_secret_value())
        finally:
            watch.cancel()
            giving_back.cancel()
            settling.cancel()
            await router.stop_health_checks()
    return 1 if fleet.lost.is_set() else 0


def channel_poster(client: discord.Client, channel_id: int) -> Callable[[str], Awaitable[None]]:
    """Posts the operator's notices in the channel `channel_id` (OPS_CHANNEL_ID)."""

    async def post(text: str) -> None:
        channel = client.get_channel(channel_id) or await client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("OPS_CHANNEL_ID %d is not a channel the bot can post in", channel_id)
            return
        await channel.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())

    return post


async def stop_when_lost(client: FluxBot, grace: float) -> None:
    """Stops the bot should its shards' locks go (their database connection ended): a
    process started for them meanwhile would recover this one's jobs while they run."""
    await client.fleet.lost.wait()
    log.error("lost the database connection that holds %s, so another process may run "
              "them now; stopping (start this one again)", client.fleet.shards.describe())
    await stop(client, grace)


async def stop(client: FluxBot, grace: float) -> None:
    """Stops taking new jobs, lets those in flight finish for `grace` s, then closes.

    Whatever is still running after that is refunded as the services close, except a
    job at a provider that keeps it: that one is left for the next start to resume.
    """
    jobs = client.services.jobs
    if jobs.draining:
        return
    log.info("stopping: waiting up to %.0f s for jobs in flight", grace)
    left = await jobs.drain(grace)
    if left:
        log.warning("stopping with %d jobs still running; those at a provider that keeps "
                    "them are left for the next start, the others refunded", left)
    await client.close()


async def check(settings: Settings) -> int:
    """Reports the configuration, the database, each provider (checking its key with a
    cheap authenticated call where it has one) and the route of each model; generates
    nothing. Exits non-zero when a key is refused, a host is unreachable or no model
    can be served."""
    from bot.app import open_services

    out = sys.stdout
    out.write("configuration: ok\n")
    try:
        async with open_services(settings) as services:
            out.write(f"database: ok ({settings.database_name})\n")
            out.write("c2pa signing: " + ("on: the keys signed a test image\n"
                                          if services.signer else "off\n"))
            lines, problems = await describe_providers(services.router)
            out.writelines(f"{line}\n" for line in lines)
            out.write(await describe_jobs(services))
    except OSError as exc:
        out.write(f"database: cannot open {settings.database_name}: {exc.strerror}\n")
        return 1
    except StorageError as exc:
        out.write(f"database: {exc}\n")
        return 1
    except SigningError as exc:
        out.write(f"c2pa signing: {exc}\n")
        return 1
    return 1 if problems else 0


async def describe_providers(router: Router) -> tuple[list[str], int]:
    """`check`'s lines about the providers and the routes, and how many problems."""
    from bot.catalogue import MODELS
    from bot.providers.errors import NoProviderAvailable
    from bot.providers.registry import BY_NAME

    lines: list[str] = []
    problems = 0
    out_of_service: set[str] = set()
    serving = router.servable_models()
    for health in await router.health():
        entry = BY_NAME.get(health.provider)
        label = entry.label if entry is not None else health.provider
        if entry is not None and entry.fallback_only:
            served = [m for m in MODELS if health.provider in router.route(m)]
            state = (f"on ({label}), serves {', '.join(served) or 'no model'}"
                     if health.configured else "off")
        elif not health.configured:
            setting = entry.key_setting if entry is not None else "its key"
            state = f"not configured ({setting} is not set); it serves nothing"
        elif not health.reachable:
            state = f"configured, {health.detail}: the key could not be checked"
            problems += 1
            out_of_service.add(health.provider)
        elif health.key_ok is None:
            state = "configured (key not checked: the provider has no cheap authenticated call)"
        elif health.key_ok:
            state = "configured, key works" + (f"; {health.detail} left" if health.detail else "")
        else:
            state = f"configured, key REFUSED: {health.detail}"
            problems += 1
            out_of_service.add(health.provider)
        lines.append(f"provider {health.provider}: {state}")
    for model_id, model in MODELS.items():
        try:
            planned = router.plan(model_id, {}, 6).providers
        except NoProviderAvailable:
            planned = []
        route = [n for n in planned if n not in out_of_service]
        names = ", then ".join(route) if route else "none: no provider can serve it"
        lines.append(f"route {model_id} ({model.label}): {names}")
    if not serving:
        lines.append("no model can be served: set a provider key (see .env.example) or "
                     "PLACEHOLDER_PROVIDER=true")
        problems += 1
    return lines, problems


async def describe_jobs(services: Services) -> str:
    """`check`'s lines about the jobs: what the last start's recovery did, and the jobs
    left unfinished now (what the next start does with them)."""
    from bot.credits.rows import JobStatus

    last = await services.continuity.last_recovery()
    lines = f"last start's recovery: {last or 'none recorded'}\n"
    unfinished = await services.records.unfinished_jobs()
    posting = sum(1 for job in unfinished if job.status == JobStatus.POSTING)
    at_provider = 0
    for job in unfinished:
        if job.status != JobStatus.POSTING and await services.continuity.stored_images(job.id):
            at_provider += 1
    others = len(unfinished) - posting - at_provider
    return lines + (f"jobs left waiting: {len(unfinished)} ({at_provider} at their provider, "
                    f"resumed at the next start; {posting} posting, looked for in their "
                    f"channel; {others} refunded at the next start)\n")


def url_secrets(url: str) -> list[str]:
    """The password of a database URL, for the log filter."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [password, unquote(password)] if password else []


async def migrate_to(settings: Settings, target_url: str) -> int:
    """Copies the configured database into the empty one at `target_url`; 0 when the
    copy holds every row and both audits agree that the credits add up."""
    from bot.credits import CreditDefaults, Credits
    from bot.fleet import ShardSet, hold_shards
    from bot.schema import TABLES, open_store
    from bot.storage import redact_url
    from bot.storage.copy import CopyRefused, copy_rows, row_counts

    out = sys.stdout
    if target_url == settings.DATABASE_URL:
        out.write("migrate-to: the target is the configured database itself\n")
        return 2
    try:
        source = await open_store(settings.DATABASE_URL)
    except (StorageError, OSError) as exc:
        out.write(f"migrate-to: cannot open {settings.database_name}: {exc}\n")
        return 1
    try:
        # A bot still running on the database could change it behind the copy.
        async with hold_shards(source, ShardSet(), settings.database_name):
            defaults = CreditDefaults.from_settings(settings)
            if problems := await Credits(source, defaults).audit():
                out.write(f"migrate-to: the audit of {settings.database_name} finds "
                          f"{len(problems)} problems (see the log); nothing was copied\n")
                return 1
            try:
                target = await open_store(target_url)
            except StorageError as exc:
                out.write(f"migrate-to: {exc}\n")
                return 1
            try:
                copied = await copy_rows(source, target, TABLES)
                counts = await row_counts(target, TABLES)
                target_problems = await Credits(target, defaults).audit()
            except CopyRefused as exc:
                out.write(f"migrate-to: {exc}\n")
                return 1
            finally:
                await target.close()
    except ShardTaken as exc:
        out.write(f"migrate-to: {exc}\n")
        return 1
    finally:
        await source.close()
    for table, n in copied.items():
        out.write(f"{table}: {n} rows copied, {counts[table]} in the new database\n")
    if counts != copied or target_problems:
        out.write("migrate-to: the new database does NOT match; keep using the old one\n")
        return 1
    out.write(f"audit: ok on both sides. Stop the bot, set DATABASE_URL to "
              f"{redact_url(target_url)} (with its password) and start it again.\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
