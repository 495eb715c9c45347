"""The Discord gateway stand-in: HELLO, IDENTIFY/READY, RESUME, heartbeats and dispatches.

Private module of :mod:`tests.support.standins.discord_api`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.standins.discord_models import JSON, Message
from tests.support.standins.discord_state import StandInState

log = logging.getLogger("tests.support.standins.discord.gateway")

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
RESUME_BUFFER = 1000
RESUME_WINDOW = 60.0
"""Seconds a disconnected session stays resumable (and keeps buffering events)."""
IDENTIFY_WINDOW = 5.0
"""Each identify bucket (shard id % max_concurrency) takes one IDENTIFY per this many seconds."""
MAX_GUILDS_PER_SHARD = 2500
"""Past this many guilds on one shard, Discord refuses the session: sharding required (4011)."""


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events, by Discord's formula."""
    return (guild_id >> 22) % shard_count


@dataclass(eq=False)
class GatewaySession:
    """A gateway session (READY ... until invalidated); it survives reconnects through RESUME."""

    session_id: str
    intents: int
    identify: JSON
    shard_id: int = 0
    shard_count: int = 1
    seq: int = 0
    ready: bool = False
    invalidated: bool = False
    resumes: int = 0
    connection: _Connection | None = None
    disconnected_at: float | None = None
    buffer: list[JSON] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        return self.connection is not None

    @property
    def resumable(self) -> bool:
        """Still able to RESUME: not invalidated, and connected or recently disconnected."""
        if not self.ready or self.invalidated:
            return False
        return self.connected or time.monotonic() - (self.disconnected_at or 0.0) < RESUME_WINDOW

    def owns(self, guild_id: int | None) -> bool:
        """Whether this session's shard gets the events of ``guild_id`` (None: a DM, shard 0)."""
        if guild_id is None:
            return self.shard_id == 0
        return shard_of(guild_id, self.shard_count) == self.shard_id


class _Connection:
    """One websocket; a single writer task keeps frames in order."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session: GatewaySession | None = None
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write(), name="discord-standin-gateway-writer")

    def send(self, frame: JSON) -> None:
        self._queue.put_nowait(json.dumps(frame))

    async def _write(self) -> None:
        while (text := await self._queue.get()) is not None:
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError) as exc:
                log.debug("gateway write failed: %s", exc)
                return

    async def stop(self) -> None:
        self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


class Gateway:
    def __init__(
        self,
        state: StandInState,
        *,
        heartbeat_interval: float,
        max_concurrency: int = 1,
        max_guilds_per_shard: int = MAX_GUILDS_PER_SHARD,
    ) -> None:
        self.state = state
        self.heartbeat_interval = heartbeat_interval
        self.max_concurrency = max_concurrency
        self.max_guilds_per_shard = max_guilds_per_shard
        self.url = ""
        self.sessions: list[GatewaySession] = []
        self.connections: set[_Connection] = set()
        self.identify_count = 0
        self.identify_refusals: list[tuple[int, str]] = []
        """(shard id, why) for every IDENTIFY refused: a close code's reason or op 9."""
        self._bucket_last_identify: dict[int, float] = {}
        self.resume_count = 0
        self.heartbeats = 0
        state.dispatch = self.dispatch
        state.connected_clients = lambda: len(self.connected_sessions)

    # -- test-facing -------------------------------------------------------------------------------

    @property
    def live_sessions(self) -> list[GatewaySession]:
        """Sessions a dispatch can reach now or on RESUME.

        discord.py's ``Client.close()`` reaches the server as close code 4000 (its poll loop's close
        wins the race with the 1000), so, as on Discord, a closed client's session stays resumable
        for a while.
        """
        return [s for s in self.sessions if s.resumable]

    @property
    def connected_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions if s.ready and s.connected and not s.invalidated]

    @property
    def recommended_shards(self) -> int:
        """GET /gateway/bot's ``shards``: about one per thousand guilds, as Discord does."""
        return max(1, -(-len(self.state.guilds) // 1000))

    def dispatch(
        self, event: str, data: JSON, *, intent: int | None = None, message: Message | None = None
    ) -> int:
        """Send ``event`` to every live session allowed to see it; returns how many got it.

        Only the shard that owns the event's guild gets it; events outside a guild (direct
        messages) go to shard 0.
        """
        guild_id = _guild_of(data, message)
        count = 0
        for session in self.live_sessions:
            if not session.owns(guild_id):
                payload = None
            elif message is not None:
                payload = self._message_for(session, message, data)
            elif intent is None or session.intents & intent:
                payload = data
            else:
                payload = None
            if payload is not None:
                self._send_dispatch(session, event, payload)
                count += 1
        return count

    def request_reconnect(self) -> int:
        """Send op 7 RECONNECT to every connected session (the client then RESUMEs)."""
        targets = [c for c in self.connections if c.session is not None]
        for connection in targets:
            connection.send({"op": 7, "d": None})
        return len(targets)

    async def close(self) -> None:
        for connection in list(self.connections):
            await connection.ws.close(code=1001, message=b"stand-in stopping")

    # -- websocket ---------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = _Connection(ws)
        self.connections.add(connection)
        connection.send(
            {
                "op": 10,
                "d": {
                    "heartbeat_interval": int(self.heartbeat_interval * 1000),
                    "_trace": ['["stand-in-gateway",{"micros":0}]'],
                },
            }
        )
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    try:
                        await self._on_frame(connection, json.loads(message.data))
                    except Exception as exc:  # a stand-in bug: record it, keep the connection
                        log.exception("stand-in gateway error on %s", message.data[:200])
                        self.state.internal_errors.append(f"gateway: {exc!r}")
                elif message.type is WSMsgType.ERROR:
                    log.debug("gateway websocket error: %s", ws.exception())
        finally:
            self.connections.discard(connection)
            await connection.stop()
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
                session.disconnected_at = time.monotonic()
                if ws.close_code in (1000, 1001):
                    session.invalidated = True  # a clean close ends the session, as on Discord
            log.debug("gateway connection closed with %s", ws.close_code)
            self.state.changed()
        return ws

    async def _on_frame(self, connection: _Connection, frame: JSON) -> None:
        op, data = frame.get("op"), frame.get("d") or {}
        if op == 1:
            self.heartbeats += 1
            connection.send({"op": 11})
        elif op == 2:
            await self._identify(connection, data)
        elif op == 6:
            await self._resume(connection, data)
        elif op == 8:
            self._request_members(connection, data)
        elif op in (3, 4):
            log.debug("gateway op %s ignored: %s", op, data)
        else:
            log.warning("gateway: unknown op %s from client", op)
            await connection.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, connection: _Connection, data: JSON) -> None:
        if data.get("token") != self.state.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        if connection.session is not None:
            await connection.ws.close(code=4005, message=b"Already authenticated.")
            return
        shard = data.get("shard", [0, 1])
        if not _valid_shard(shard):
            self.identify_refusals.append((-1, "invalid shard"))
            await connection.ws.close(code=4010, message=b"Invalid shard.")
            return
        shard_id, shard_count = shard
        guilds = [g for g in self.state.guilds.values() if shard_of(g.id, shard_count) == shard_id]
        if len(guilds) > self.max_guilds_per_shard:
            self.identify_refusals.append((shard_id, "sharding required"))
            await connection.ws.close(code=4011, message=b"Sharding required.")
            return
        if not self._take_identify_slot(shard_id):
            # Discord answers an identify over max_concurrency with an invalid session.
            self.identify_refusals.append((shard_id, "identify rate limited"))
            connection.send({"op": 9, "d": False})
            return
        session = GatewaySession(
            uuid.uuid4().hex, int(data.get("intents") or 0), data, shard_id, shard_count
        )
        session.connection = connection
        connection.session = session
        self.sessions.append(session)
        bot = self.state.bot
        self._send_dispatch(
            session,
            "READY",
            {
                "v": 10,
                "user": {**bot.payload(), "verified": True, "mfa_enabled": False, "email": None},
                "user_settings": {},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.url + "/resume",
                "shard": [shard_id, shard_count],
                "application": {"id": str(self.state.application_id), "flags": 1 << 23},
                "geo_ordered_rtc_regions": ["us-east"],
                "auth": {},
                "_trace": ['["stand-in-gateway",{"micros":0}]'],
            },
        )
        all_members = bool(session.intents & INTENT_GUILD_MEMBERS)
        for guild in guilds:
            self._send_dispatch(
                session, "GUILD_CREATE", guild.gateway_payload(all_members=all_members)
            )
        session.ready = True
        self.identify_count += 1
        log.info(
            "gateway: session %s identified (shard %d/%d, intents=%#x, %d guilds)",
            session.session_id,
            shard_id,
            shard_count,
            session.intents,
            len(guilds),
        )
        self.state.changed()

    def _take_identify_slot(self, shard_id: int) -> bool:
        """One IDENTIFY per bucket (``shard_id % max_concurrency``) per IDENTIFY_WINDOW."""
        bucket = shard_id % self.max_concurrency
        now = time.monotonic()
        last = self._bucket_last_identify.get(bucket)
        if last is not None and now - last < IDENTIFY_WINDOW:
            return False
        self._bucket_last_identify[bucket] = now
        return True

    async def _resume(self, connection: _Connection, data: JSON) -> None:
        session = next((s for s in self.sessions if s.session_id == data.get("session_id")), None)
        if session is None or not session.resumable or data.get("token") != self.state.token:
            connection.send({"op": 9, "d": False})
            return
        if session.connection is not None and session.connection is not connection:
            old = session.connection
            old.session = None
            await old.ws.close(code=4000, message=b"Session resumed elsewhere.")
        session.connection = connection
        connection.session = session
        since = int(data.get("seq") or 0)
        for frame in session.buffer:
            if frame["s"] > since:
                connection.send(frame)
        session.resumes += 1
        self.resume_count += 1
        self._send_dispatch(session, "RESUMED", {"_trace": ['["stand-in-gateway",{"micros":0}]']})
        log.info("gateway: session %s resumed from seq %s", session.session_id, since)
        self.state.changed()

    def _request_members(self, connection: _Connection, data: JSON) -> None:
        session = connection.session
        guild = self.state.guilds.get(int(data.get("guild_id") or 0))
        if session is None or guild is None:
            return
        members = guild.members
        if data.get("user_ids"):
            wanted = {int(u) for u in data["user_ids"]}
            members = [m for m in members if m.id in wanted]
        elif data.get("query"):
            members = [m for m in members if m.username.startswith(data["query"])]
        if data.get("limit"):
            members = members[: int(data["limit"])]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": [guild.member_payload(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- helpers -----------------------------------------------------------------------------------

    def sessions_for(self, guild_id: int | None) -> list[GatewaySession]:
        """The live sessions that get ``guild_id``'s events."""
        return [s for s in self.live_sessions if s.owns(guild_id)]

    def _send_dispatch(self, session: GatewaySession, event: str, data: Any) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        if event not in ("READY", "RESUMED"):
            session.buffer.append(frame)
            del session.buffer[:-RESUME_BUFFER]
        if session.connection is not None:
            session.connection.send(frame)

    def _message_for(self, session: GatewaySession, message: Message, data: JSON) -> JSON | None:
        in_guild = message.channel.guild is not None
        if not session.intents & (INTENT_GUILD_MESSAGES if in_guild else INTENT_DIRECT_MESSAGES):
            return None
        bot = self.state.bot
        sees_content = (
            session.intents & INTENT_MESSAGE_CONTENT
            or message.author is bot
            or not in_guild
            or bot.mention in message.content
        )
        if sees_content or "content" not in data:
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}


def _valid_shard(shard: Any) -> bool:
    """``[shard_id, shard_count]`` with 0 <= shard_id < shard_count, as Discord requires."""
    if not isinstance(shard, list | tuple) or len(shard) != 2:
        return False
    shard_id, shard_count = shard
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in shard):
        return False
    return 0 <= shard_id < shard_count


def _guild_of(data: Any, message: Message | None) -> int | None:
    """The guild an event belongs to, or None for a direct message's."""
    if message is not None:
        guild = message.channel.guild
        return guild.id if guild is not None else None
    if isinstance(data, dict) and data.get("guild_id") is not None:
        return int(data["guild_id"])
    return None
