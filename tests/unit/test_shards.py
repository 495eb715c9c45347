"""Shard settings (SHARD_COUNT, SHARD_IDS), the client options they become, and the pacing
of the shards' identifies by Discord's max_concurrency."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot.settings import Settings, SettingsError, load_settings
from bot.shards import IDENTIFY_WINDOW, IdentifyPacer, client_options, identify_pacer_for


def settings_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    monkeypatch.delenv("SHARD_COUNT", raising=False)
    monkeypatch.delenv("SHARD_IDS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(_env_file=None, DISCORD_TOKEN="t")


def refusal(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        settings_with(monkeypatch, **env)
    return caught.value.lines


def test_shard_ids_from_the_environment_name_the_shards_to_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_with(monkeypatch, SHARD_COUNT="4", SHARD_IDS="1, 3")
    assert settings.SHARD_IDS == (1, 3)
    options = client_options(settings)
    assert (options["shard_count"], options["shard_ids"]) == (4, [1, 3])


def test_unset_shards_leave_the_count_to_discord(monkeypatch: pytest.MonkeyPatch) -> None:
    options = client_options(settings_with(monkeypatch))
    assert (options["shard_count"], options["shard_ids"]) == (None, None)


def test_the_client_caches_no_members_and_no_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    options = client_options(settings_with(monkeypatch))
    assert options["intents"] == discord.Intents(guilds=True)
    assert options["member_cache_flags"] == discord.MemberCacheFlags.none()
    assert options["max_messages"] is None
    assert options["chunk_guilds_at_startup"] is False


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"SHARD_IDS": "0"}, "SHARD_IDS: needs SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "SHARD_IDS: shard 2 is outside SHARD_COUNT=2"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1,1"}, "SHARD_IDS: names a shard twice"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "zero"}, "SHARD_IDS: is not a list of shard numbers"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT: Input should be greater than or equal to 1"),
    ],
)
def test_bad_shard_settings_are_refused_with_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    (only,) = refusal(monkeypatch, **env)
    assert only.startswith(line)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_shards_in_different_buckets_identify_at_once() -> None:
    clock = Clock()
    pacer = IdentifyPacer(max_concurrency=2, clock=clock)
    await pacer.wait(0)
    assert pacer.delay(1) == 0.0  # bucket 1: free
    await pacer.wait(1)
    # Shard 2 shares bucket 0 with shard 0: a full window later, measured from shard 0.
    assert pacer.delay(2) >= IDENTIFY_WINDOW
    clock.now += IDENTIFY_WINDOW + 1
    assert pacer.delay(2) == 0.0


async def test_one_bucket_spaces_every_identify_by_the_window() -> None:
    pacer = IdentifyPacer(max_concurrency=1)
    await pacer.wait(0)
    assert pacer.delay(1) >= IDENTIFY_WINDOW
    # A shard that must wait books its turn first, so the next one queues behind it.
    waiting = asyncio.ensure_future(pacer.wait(1))
    await asyncio.sleep(0)
    assert pacer.delay(2) >= 2 * IDENTIFY_WINDOW
    waiting.cancel()


class NoGateway:
    """A client whose GET /gateway/bot fails, as when Discord has an outage."""

    shard_ids = [0, 1]
    shard_count = 2

    async def fetch_session_start_limits(self) -> None:
        raise discord.GatewayNotFound()


async def test_without_discords_limits_the_shards_log_in_one_at_a_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pacer = await identify_pacer_for(NoGateway())  # type: ignore[arg-type]
    assert pacer.max_concurrency == 1
    assert "one at a time" in caplog.text
