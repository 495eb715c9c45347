"""The benchmark: the real bot process against the stand-ins, beside the bare I/O floor.

    python -m bench [--jobs 200] [--members 50] [--image-bytes 1000000] [--rounds 3]
                    [--solo 20] [--ledger-seconds 3] [--no-ledger] [--no-sheet]
                    [--guilds 10000] [--no-guilds] [--database sqlite|postgresql|URL]
                    [--out bench/results]
                    [--profile-bot FILE.svg] [--profile-bot-postgres FILE.svg]

Each round measures two clients, each in a fresh world of stand-ins (Discord, 1min.ai,
apiframe, Segmind on 127.0.0.1, zero latency, ~1 MB images) run in this process:

- the bot: `python -m bot` as a subprocess, configured by environment variables only;
- the floor: `python -m bench.floor`, a subprocess doing the same HTTP exchanges with
  no bot logic.

For each: a few warm-up jobs (not measured), `--solo` jobs one at a time, then `--jobs`
/imagine dispatched at once from `--members` members. See bench/measure.py for what each
figure means. With `--database postgresql` the bot's burst runs once more on PostgreSQL
(bench/burst_postgres.py). Then the ledger micro-benchmark (bench/ledger.py), the contact sheet's
(bench/sheet.py) and the bot's memory per server (bench/guilds.py). The results go to
`--out`/latest.json and latest.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import burst_postgres, footprint, report
from bench import guilds as guilds_bench
from bench import sheet as sheet_bench
from bench.measure import job_timings
from bench.processes import ROOT, ClientProcess
from bench.world import MODELS, JobSpec, World, job_specs

log = logging.getLogger("bench")

# The fairness limits and credits are opened up so that no job waits in the fair scheduler
# or at a provider's gate and nobody runs out of credits: the run measures the bot's cost,
# not the queueing a server admin asked for. 200 jobs from 50 members is 4 each.
# MAX_IMAGES_IN_FLIGHT stays at its default (12): it is the bot's memory bound, and the
# time jobs wait for it counts as the bot's own overhead.
BOT_LIMITS = {
    "MAX_JOBS_PER_MEMBER": "8",
    "MAX_QUEUED_PER_MEMBER": "8",
    "MAX_JOBS_PER_SERVER": "1000",
    "PROVIDER_CONCURRENCY": "1000",
    "DEFAULT_ALLOWANCE": "100000",
    "DEFAULT_DAILY_BUDGET": "100000000",
}
# Settings that the environment of the shell running the benchmark must not change.
_CLEARED = ("FLUXCORD_CONFIG", "PLACEHOLDER_PROVIDER", "DEFAULT_MODEL", "ROUTING")


@dataclass(frozen=True, slots=True)
class Options:
    jobs: int = 200
    members: int = 50
    image_bytes: int = 1_000_000
    rounds: int = 3
    solo: int = 20
    warmup: int = 8
    poll_seconds: float = 0.01
    timeout: float = 120.0
    ledger_seconds: float = 3.0
    ledger_members: int = 100_000
    ledger_workers: int = 16
    ledger: bool = True
    sheet: bool = True
    report_rows: int = 100_000  # ledger rows of the /credits report figure
    autocomplete_jobs: int = 100_000  # jobs in the table of the prompt autocomplete figure
    guilds: int = 10_000
    guilds_bench: bool = True
    # Jobs per figure of bench/hostile.py (0 leaves it out).
    hostile_jobs: int = 10
    # Jobs of four images in the burst of bench/count_burst.py (0 leaves it out).
    count_jobs: int = 50
    out: Path | None = ROOT / "bench" / "results"
    profile_bot: Path | None = None
    profile_floor: Path | None = None
    profile_bot_postgres: Path | None = None
    # "sqlite"; "postgresql" (or a postgresql:// URL) adds one burst on PostgreSQL.
    database: str = "sqlite"


def command_payloads() -> list[dict[str, Any]]:
    """The bot's slash commands as it registers them, built offline (for the floor)."""
    import discord
    from discord import app_commands

    from cogs.imagine.cog import Imagine

    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    for command in Imagine(client).__cog_app_commands__:  # type: ignore[arg-type]
        tree.add_command(command)
    return [command.to_dict(tree) for command in tree.get_commands()]


def bot_env(world: World, folder: Path, options: Options, database_url: str | None = None
            ) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(world.providers.settings_env())
    env.update(BOT_LIMITS)
    env.update(
        DISCORD_TOKEN=world.discord.token,
        DISCORD_API_BASE=world.discord.api_base,
        DISCORD_GATEWAY_URL=world.discord.gateway_url,
        DATABASE_URL=database_url or f"sqlite:///{folder / 'fluxcord.db'}",
        APIFRAME_POLL_SECONDS=str(options.poll_seconds),
        LOG_LEVEL="WARNING",
    )
    return env


def floor_config(world: World, options: Options) -> dict[str, Any]:
    env = world.providers.settings_env()
    return {
        "gateway_url": world.discord.gateway_url,
        "api_base": world.discord.api_base,
        "token": world.discord.token,
        "poll_seconds": options.poll_seconds,
        "keys": dict(world.providers.keys),
        "base_urls": {name: env[f"{name.upper()}_BASE_URL"] for name in world.providers.keys},
    }


@contextlib.asynccontextmanager
async def py_spy(pid: int, path: Path | None) -> AsyncIterator[None]:
    """Samples the process with py-spy while the block runs (when `path` is set)."""
    if path is None:
        yield
        return
    # .txt: collapsed stacks (for scripts); .json: speedscope; anything else: an SVG.
    fmt = {".txt": "raw", ".json": "speedscope"}.get(path.suffix, "flamegraph")
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
        "--output", str(path), "--format", fmt, "--rate", "250", "--nonblocking", "--gil",
        "--threads",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(2)
        await spy.wait()


def _write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


async def measure_client(kind: str, options: Options, folder: Path,
                         database_url: str | None = None) -> dict[str, Any]:
    """One client ("bot" or "floor") in a fresh world: warm-up, solo jobs, the burst;
    the bot on `database_url` when given (else a SQLite file in `folder`)."""
    world = await World(members=options.members, image_bytes=options.image_bytes).start()
    try:
        if kind == "bot":
            process = ClientProcess("bot", [], bot_env(world, folder, options, database_url),
                                    folder, folder / "bot.log")
        else:
            await world.register_commands(command_payloads())
            config = _write_json(folder / "floor.json", floor_config(world, options))
            process = ClientProcess("bench.floor", [str(config)], dict(os.environ), folder,
                                    folder / "floor.log")
        await process.start()
        try:
            # The bot's SQLite file, whose growth per settled job is measured.
            database = folder / "fluxcord.db" if kind == "bot" and not database_url else None
            figures = await _drive(kind, world, process, options, database)
        except BaseException:
            sys.stderr.write(f"--- {kind} output ---\n{process.log_tail()}\n")
            raise
        finally:
            await process.stop()
        problems = world.problems()
        if problems:
            figures["problems"] = problems[:20]
        return figures
    finally:
        await world.stop()


async def _drive(kind: str, world: World, process: ClientProcess, options: Options,
                 database: Path | None = None) -> dict[str, Any]:
    await world.discord.wait_until(
        lambda: bool(world.discord.gateway.connected_sessions and world.discord.commands)
        or not process.running,
        timeout=60, what=f"the {kind} connected with its commands registered",
    )
    if not process.running:
        raise RuntimeError(f"the {kind} process exited")
    timeout = options.timeout
    warmup = job_specs(f"{kind} warmup", options.warmup, 1)
    await world.watch.wait_for(await world.dispatch(warmup, warmup=True), timeout)
    await world.quiesce()

    solo = job_specs(f"{kind} solo", options.solo, options.members)
    solo_ids: list[int] = []
    for job in solo:
        ids = await world.dispatch([job])
        await world.watch.wait_for(ids, timeout)
        await world.quiesce(quiet=0.05)
        solo_ids += ids

    burst: list[JobSpec] = job_specs(f"{kind} burst", options.jobs, options.members)
    stored_before = footprint.snapshot(database) if database else None
    cpu_before, faults_before = process.cpu_seconds(), process.page_faults()
    discord_before = len(world.discord.requests)
    own_before, wall_before = time.process_time(), time.monotonic()
    profile = options.profile_bot if kind == "bot" else options.profile_floor
    async with py_spy(process.pid, profile):
        burst_ids = await world.dispatch(burst)
        await world.watch.wait_for(burst_ids, timeout)
        busy = (time.process_time() - own_before) / (time.monotonic() - wall_before)
        await world.quiesce()
    cpu = process.cpu_seconds() - cpu_before
    faults = process.page_faults() - faults_before
    discord_requests = len(world.discord.requests) - discord_before
    peak_rss = process.peak_rss()
    stored = (footprint.growth(stored_before, footprint.snapshot(database))
              if database and stored_before else None)

    poll = options.poll_seconds
    burst_figures = report.phase_figures(job_timings(world, burst, burst_ids, poll),
                                         options.jobs)
    return {
        "solo": report.phase_figures(job_timings(world, solo, solo_ids, poll), options.solo),
        "burst": burst_figures,
        "burst_cpu_ms_per_job": round(cpu * 1000 / options.jobs, 2),
        "burst_page_faults_per_job": round(faults / options.jobs),
        # REST requests to Discord (callbacks, edits, posts), its last progress edits in.
        "burst_discord_requests_per_job": round(discord_requests / options.jobs, 2),
        # The stand-ins' process: the share of one core it used during the burst. Near 1,
        # it, not the client, sets the pace.
        "standins_busy": round(busy, 2),
        "peak_rss_mb": round(peak_rss / 2**20, 1),
        **({"database": stored} if stored else {}),
    }


async def measure_rounds(options: Options) -> list[dict[str, Any]]:
    rounds = []
    with tempfile.TemporaryDirectory(prefix="fluxcord-bench-") as tmp:
        for number in range(options.rounds):
            # Alternate the order, so that neither client always runs on a warmer process.
            order = ("floor", "bot") if number % 2 == 0 else ("bot", "floor")
            measured: dict[str, Any] = {}
            for kind in order:
                log.warning("round %d: %s", number + 1, kind)
                folder = Path(tmp) / f"{number}-{kind}"
                folder.mkdir()
                measured[kind] = await measure_client(kind, options, folder)
            measured["ratio"] = report.ratios(measured["bot"]["burst"],
                                              measured["floor"]["burst"])
            measured["ratio_solo"] = report.ratios(measured["bot"]["solo"],
                                                   measured["floor"]["solo"])
            rounds.append(measured)
    return rounds


def _fast_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop for the stand-ins when it is installed (the `bench` extra): the Discord
    stand-in is one Python process doing the work of Discord's whole fleet, and the less
    of each latency it takes, the more of it is the client's own."""
    try:
        import uvloop
    except ImportError:
        log.warning("uvloop is not installed: the stand-ins run slower, and so every "
                    "latency is longer (pip install -e '.[bench]')")
        return None
    return uvloop.new_event_loop


def run_ledger(options: Options) -> dict[str, Any]:
    from bench import ledger

    kwargs: dict[str, Any] = {"seconds": options.ledger_seconds,
                              "members": options.ledger_members}
    if "workers" in inspect.signature(ledger.run).parameters:
        kwargs["workers"] = options.ledger_workers
    return ledger.run(**kwargs)


def run(options: Options) -> dict[str, Any]:
    """Runs everything; returns the results (also written to `options.out`)."""
    with asyncio.Runner(loop_factory=_fast_loop()) as runner:
        rounds = runner.run(measure_rounds(options))
        postgresql = (burst_postgres.run(runner, options, measure_client)
                      if options.database != "sqlite" else None)
    ledger = run_ledger(options) if options.ledger else None
    sheet = sheet_bench.run() if options.sheet else None
    guilds = guilds_bench.run(options.guilds) if options.guilds_bench else None
    summary = report.summarise(rounds, ledger)
    if options.hostile_jobs:
        from bench import hostile

        summary["hostile"] = hostile.run(jobs=options.hostile_jobs)
    if options.count_jobs:
        from bench import count_burst

        summary["count_burst"] = count_burst.run(jobs=options.count_jobs)
    config = {
        **{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()},
        "models": list(MODELS),
        "bot_limits": BOT_LIMITS,
        "limits_why": "fairness limits and credits opened up so no job waits in the fair "
                      "scheduler or at a provider gate; MAX_IMAGES_IN_FLIGHT keeps its "
                      "default (the memory bound) and waiting for it counts as overhead",
    }
    result: dict[str, Any] = {
        "date": report.now(),
        "machine": report.machine(),
        "config": config,
        "summary": summary,
        "targets": report.targets(summary),
        "rounds": rounds,
        "ledger": ledger,
        "sheet": sheet,
        "guilds": guilds,
        "burst_postgresql": postgresql,
    }
    # The blocklist check (bench/blocklist.py): in-process, a few seconds.
    from bench import blocklist

    result["blocklist"] = blocklist.run()
    # The credit report over 100,000 ledger rows (bench/credit_report.py): in-process.
    from bench import credit_report

    result["credit_report"] = credit_report.run(options.report_rows)
    # /imagine's prompt autocomplete with 100,000 jobs (bench/autocomplete.py): in-process.
    from bench import autocomplete

    result["autocomplete"] = autocomplete.run(options.autocomplete_jobs)
    if options.out is not None:
        json_path, md_path = report.write(result, options.out)
        result["files"] = [str(json_path), str(md_path)]
    return result


def parse(argv: list[str] | None) -> Options:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=defaults.jobs)
    parser.add_argument("--members", type=int, default=defaults.members)
    parser.add_argument("--image-bytes", type=int, default=defaults.image_bytes)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--solo", type=int, default=defaults.solo)
    parser.add_argument("--warmup", type=int, default=defaults.warmup)
    parser.add_argument("--timeout", type=float, default=defaults.timeout)
    parser.add_argument("--ledger-seconds", type=float, default=defaults.ledger_seconds)
    parser.add_argument("--ledger-members", type=int, default=defaults.ledger_members)
    parser.add_argument("--no-ledger", action="store_true")
    parser.add_argument("--no-sheet", action="store_true",
                        help="skip the contact sheet benchmark (bench/sheet.py)")
    parser.add_argument("--guilds", type=int, default=defaults.guilds,
                        help="guilds the bot logs in to for the memory per server figure")
    parser.add_argument("--no-guilds", action="store_true",
                        help="skip the memory per server benchmark (bench/guilds.py)")
    parser.add_argument("--hostile-jobs", type=int, default=defaults.hostile_jobs,
                        help="jobs per figure of bench/hostile.py; 0 leaves it out")
    parser.add_argument("--count-jobs", type=int, default=defaults.count_jobs,
                        help="/imagine count:4 jobs in bench/count_burst.py; 0 leaves it out")
    parser.add_argument("--out", type=Path, default=defaults.out,
                        help="folder for latest.json and latest.md")
    parser.add_argument("--profile-bot", type=Path, default=None,
                        help="py-spy profile of the bot during the burst: an SVG flame "
                             "graph, or collapsed stacks if it ends in .txt")
    parser.add_argument("--profile-floor", type=Path, default=None,
                        help="the same, of the floor client")
    parser.add_argument("--profile-bot-postgres", type=Path, default=None,
                        help="the same, of the bot during its burst on PostgreSQL")
    parser.add_argument("--database", default=defaults.database,
                        help="postgresql: run the bot's burst once more on a throwaway "
                             "PostgreSQL (or on the empty database at a postgresql:// URL)")
    args = parser.parse_args(argv)
    return Options(
        jobs=args.jobs, members=args.members, image_bytes=args.image_bytes,
        rounds=args.rounds, solo=args.solo, warmup=args.warmup, timeout=args.timeout,
        ledger_seconds=args.ledger_seconds, ledger_members=args.ledger_members,
        ledger=not args.no_ledger, sheet=not args.no_sheet, out=args.out,
        guilds=args.guilds, guilds_bench=not args.no_guilds, hostile_jobs=args.hostile_jobs,
        count_jobs=args.count_jobs,
        profile_bot=args.profile_bot, profile_floor=args.profile_floor,
        profile_bot_postgres=args.profile_bot_postgres, database=args.database,
    )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("tests.support.standins").setLevel(logging.ERROR)
    logging.getLogger("discord").setLevel(logging.ERROR)  # offline command payloads
    options = parse(argv)
    result = run(options)
    sys.stdout.write(report.markdown(result))
    for path in result.get("files", []):
        sys.stdout.write(f"written: {path}\n")
    return 0
