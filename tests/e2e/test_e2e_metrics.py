"""Metrics and health (SPEC section 14): a real `python -m bot` with METRICS_PORT serves
/healthz at once, /readyz 503 until it is connected and again while it drains at a stop,
and /metrics in Prometheus' text format, read with prometheus-client's own parser, counts
the jobs it ran; its LOG_FORMAT=json log is one object a line. In-process, the 429s
Discord answers are counted."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import aiohttp
import discord
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.endpoint import serve_metrics
from tests.support.bot_process import BotProcess
from tests.support.e2e_fixtures import private_text, results, settled
from tests.support.harness import BotRunner, e2e_settings
from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(base: str) -> Samples:
    """Every sample of /metrics by name and labels, parsed by prometheus-client."""
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def status(base: str, path: str) -> int:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        try:
            async with http.get(f"{base}{path}") as response:
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0  # not listening (yet, or any more)


async def wait_status(base: str, path: str, wanted: int, seconds: float = 30) -> None:
    for _ in range(int(seconds / 0.05)):
        if await status(base, path) == wanted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never answered {wanted}")


def jobs(samples: Samples, outcome: str, provider: str = "onemin") -> float:
    key = (("model", "flux-dev"), ("outcome", outcome), ("provider", provider))
    return samples.get(("fluxcord_jobs_total", key), 0.0)


async def test_health_readiness_and_metrics_of_a_real_process(
    tmp_path: Path, provider_standins: ProviderStandIns
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    onemin = provider_standins.onemin
    async with DiscordStandIn() as standin:
        guild = standin.add_guild("Observed")
        general = guild.add_channel("general")
        alice = standin.add_user("alice")
        bot = BotProcess(
            "metrics", standin, tmp_path, METRICS_PORT=str(port),
            DATABASE_URL=f"sqlite:///{tmp_path / 'fluxcord.db'}",
            ONEMIN_API_KEY=provider_standins.keys["onemin"], ONEMIN_BASE_URL=onemin.base_url,
            SHUTDOWN_GRACE_SECONDS="30", LOG_FORMAT="json",
        )
        # Discord answers slowly: the process runs, but is not connected yet.
        standin.slow("GET", "/gateway/bot", 3.0)
        await bot.start()
        try:
            await wait_status(base, "/healthz", 200)
            assert await status(base, "/readyz") == 503
            await bot.ready()
            await wait_status(base, "/readyz", 200, seconds=10)

            for prompt in ("a lighthouse", "a harbour"):
                await settled(await standin.slash(general, alice, "imagine", prompt=prompt,
                                                  model="flux-dev"))
            refused = await settled(await standin.slash(
                general, alice, "imagine", prompt="bold", model="flux-dev",
                safety_tolerance=6))
            assert "does not take" in private_text(refused)
            assert len(results(general)) == 2

            samples = await scrape(base)
            assert jobs(samples, "posted") == 2
            assert jobs(samples, "refused", provider="none") == 1
            assert samples[("fluxcord_credits_spent_total", (("model", "flux-dev"),))] == 6
            assert samples[("fluxcord_provider_seconds_count",
                            (("provider", "onemin"), ("result", "ok")))] == 2
            assert samples[("fluxcord_job_seconds_count",
                            (("model", "flux-dev"), ("outcome", "posted")))] == 2
            assert samples[("fluxcord_provider_up", (("provider", "onemin"),))] == 1
            assert samples[("fluxcord_jobs_running", ())] == 0
            assert samples[("fluxcord_jobs_queued", ())] == 0
            assert samples[("process_resident_memory_bytes", ())] > 0
            # Labels are bounded: no server, channel or member id anywhere.
            values = {v for _, labels in samples for _, v in labels}
            assert not values & {str(guild.id), str(general.id), str(alice.id)}

            # A provider that keeps failing: the job fails and is refunded.
            onemin.inject("server_error", times=3)
            failed = await settled(await standin.slash(general, alice, "imagine",
                                                       prompt="a storm", model="flux-dev"))
            assert "back" in private_text(failed)
            samples = await scrape(base)
            assert jobs(samples, "failed") == 1
            assert samples[("fluxcord_provider_seconds_count",
                            (("provider", "onemin"), ("result", "error")))] >= 1

            # A job at the provider while the bot is asked to stop: not ready any more,
            # while it drains.
            onemin.inject("slow", times=1, seconds=60)
            await standin.slash(general, alice, "imagine", prompt="late", model="flux-dev")
            for _ in range(200):
                if (await scrape(base))[("fluxcord_jobs_running", ())] == 1:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the job never showed as running")
            assert bot.process is not None
            bot.process.terminate()
            await bot.wait_for("stopping: waiting")
            assert await status(base, "/readyz") == 503
            assert await status(base, "/healthz") == 200
            onemin.release()
            assert await bot.exit_code() == 0
            assert await status(base, "/healthz") == 0

            # LOG_FORMAT=json: every line an object; the failed job's lines name it.
            lines = [json.loads(line) for line in bot.lines]
            assert all({"time", "level", "logger", "message"} <= set(e) for e in lines)
            failure = next(e for e in lines if "failed at onemin" in e["message"])
            assert failure["server"] == guild.id and failure["shard"] == 0
            assert failure["job"] in failure["message"]
        finally:
            onemin.release()
            if bot.process is not None and bot.process.returncode is None:
                await bot.kill()


async def test_discord_rate_limits_met_are_counted(
    tmp_path: Path, provider_standins: ProviderStandIns
) -> None:
    port = free_port()
    # Discord's headers hide the channel's limit, so discord.py meets a 429.
    async with DiscordStandIn(hide_message_rate_limit=True,
                              message_rate_limit=(5, 1.0)) as standin:
        channel_id = standin.add_guild("Busy").add_channel("general").id
        with standin.install():
            runner = BotRunner(e2e_settings(tmp_path, standin, provider_standins,
                                            METRICS_PORT=port), standin)
            client = await runner.start()
            try:
                assert runner.services is not None
                async with serve_metrics(runner.services, client):
                    channel = client.get_channel(channel_id)
                    assert isinstance(channel, discord.TextChannel)
                    for n in range(6):
                        await channel.send(f"message {n}")
                    samples = await scrape(f"http://127.0.0.1:{port}")
                    assert await status(f"http://127.0.0.1:{port}", "/readyz") == 200
                    await runner.services.jobs.drain(0)
                    assert await status(f"http://127.0.0.1:{port}", "/readyz") == 503
            finally:
                await runner.stop()
        assert len(standin.rate_limited) == 1
        assert samples[("fluxcord_discord_rate_limits_total", ())] == 1
