"""The Discord stand-in's sharding, spoken to over a raw websocket as Discord is: each guild's
events go to the shard that owns it, a bad shard is refused with Discord's close codes, and
identifies are limited by max_concurrency."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.support.standins.discord_api import DiscordStandIn
from tests.support.standins.discord_gateway import shard_of

pytestmark = pytest.mark.asyncio

INTENTS = (1 << 0) | (1 << 9) | (1 << 12)  # guilds, guild messages, direct messages


class Shard:
    """One raw gateway connection that identified as ``shard``."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def frame(self) -> dict[str, Any]:
        message = await self.ws.receive(timeout=5)
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"closed with {self.ws.close_code}")
        frame: dict[str, Any] = json.loads(message.data)
        return frame

    async def dispatch(self) -> tuple[str, Any]:
        frame = await self.frame()
        assert frame["op"] == 0, frame
        return frame["t"], frame["d"]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def connect(
    http: aiohttp.ClientSession, standin: DiscordStandIn, shard: Any
) -> Shard:
    ws = await http.ws_connect(standin.gateway_url)
    connection = Shard(ws)
    assert (await connection.frame())["op"] == 10  # HELLO
    identify: dict[str, Any] = {"token": standin.token, "intents": INTENTS, "properties": {}}
    if shard is not None:
        identify["shard"] = shard
    await ws.send_json({"op": 2, "d": identify})
    return connection


async def ready(shard: Shard) -> tuple[dict[str, Any], list[int]]:
    """READY's payload and the ids of the GUILD_CREATEs that follow it."""
    event, data = await shard.dispatch()
    assert event == "READY"
    created = []
    for _ in data["guilds"]:
        event, guild = await shard.dispatch()
        assert event == "GUILD_CREATE"
        created.append(int(guild["id"]))
    return data, created


async def test_each_shard_gets_only_its_guilds_and_their_events(
    http: aiohttp.ClientSession,
) -> None:
    async with DiscordStandIn(max_concurrency=2) as standin:
        guilds = [standin.add_guild(f"g{n}", shard=(n % 2, 2)) for n in range(4)]
        channels = [g.add_channel("general") for g in guilds]
        alice = standin.add_user("alice")
        shards = [await connect(http, standin, [n, 2]) for n in range(2)]
        for n, shard in enumerate(shards):
            data, created = await ready(shard)
            mine = sorted(g.id for g in guilds if shard_of(g.id, 2) == n)
            assert data["shard"] == [n, 2]
            assert sorted(int(g["id"]) for g in data["guilds"]) == mine == sorted(created)

        for guild, channel in zip(guilds, channels, strict=True):
            await standin.post_message(channel, alice, "hello")
            event, data = await shards[shard_of(guild.id, 2)].dispatch()
            assert (event, int(data["guild_id"])) == ("MESSAGE_CREATE", guild.id)

        # A direct message belongs to no guild: shard 0 gets it.
        await standin.post_message(standin.dm_channel(alice), alice, "psst")
        event, data = await shards[0].dispatch()
        assert event == "MESSAGE_CREATE" and "guild_id" not in data

        # Nothing else arrived on either shard: each message went to one shard only.
        for shard in shards:
            await shard.ws.send_json({"op": 1, "d": None})
            assert (await shard.frame())["op"] == 11


async def test_a_shard_outside_the_count_is_closed_with_4010(
    http: aiohttp.ClientSession,
) -> None:
    async with DiscordStandIn() as standin:
        for bad in ([2, 2], [-1, 2], [0, 0], [0], "0,1"):
            shard = await connect(http, standin, bad)
            with pytest.raises(ConnectionError):
                await shard.frame()
            assert shard.ws.close_code == 4010, bad
        assert standin.gateway.connected_sessions == []


async def test_too_many_guilds_on_one_shard_is_closed_with_4011(
    http: aiohttp.ClientSession,
) -> None:
    async with DiscordStandIn(max_guilds_per_shard=2, max_concurrency=4) as standin:
        for n in range(4):
            standin.add_guild(f"g{n}", shard=(n % 2, 2))
        unsharded = await connect(http, standin, None)
        with pytest.raises(ConnectionError):
            await unsharded.frame()
        assert unsharded.ws.close_code == 4011
        sharded = [await connect(http, standin, [n, 2]) for n in range(2)]
        for shard in sharded:
            assert len((await ready(shard))[1]) == 2


async def test_identifies_are_limited_per_max_concurrency_bucket(
    http: aiohttp.ClientSession,
) -> None:
    async with DiscordStandIn(max_concurrency=2) as standin:
        response = await http.get(
            f"{standin.api_base}/gateway/bot", headers={"Authorization": f"Bot {standin.token}"}
        )
        limits = (await response.json())["session_start_limit"]
        assert limits["max_concurrency"] == 2

        # Shards 0 and 1 are in buckets 0 and 1: both may identify at once.
        first = [await connect(http, standin, [n, 4]) for n in (0, 1)]
        for shard in first:
            await ready(shard)
        # Shard 2 shares bucket 0 with shard 0, which identified less than 5 s ago.
        too_soon = await connect(http, standin, [2, 4])
        assert await too_soon.frame() == {"op": 9, "d": False}
        assert standin.gateway.identify_refusals == [(2, "identify rate limited")]
        assert len(standin.gateway.connected_sessions) == 2
