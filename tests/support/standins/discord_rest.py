"""Discord REST API v10 stand-in: routing, auth, rate limits, request bodies, plain routes.

Private module of :mod:`tests.support.standins.discord_api`; interaction routes are in
``discord_webhooks``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from tests.support.standins.discord_gateway import Gateway
from tests.support.standins.discord_models import JSON, ApiError, Perm
from tests.support.standins.discord_state import RequestRecord, StandInState, UploadedFile

log = logging.getLogger("tests.support.standins.discord.rest")

API_PREFIX = "/api/v10"
Handler = Callable[[web.Request, dict[str, str]], Awaitable[web.StreamResponse]]
GENERIC_LIMIT = (50, 1.0)


def json_response(data: Any, status: int = 200) -> web.Response:
    # exactly "application/json" (no charset), as Discord sends it: discord.py compares verbatim
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def no_content() -> web.Response:
    return web.Response(status=204)


async def read_body(request: web.Request) -> tuple[JSON, list[UploadedFile]]:
    """A JSON body, or a multipart one (``payload_json`` + ``files[n]``), as (payload, files)."""
    if request.content_type == "multipart/form-data":
        payload: JSON = {}
        files: list[UploadedFile] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            match = re.fullmatch(r"files\[(\d+)\]", part.name or "")
            if part.name == "payload_json":
                payload = json.loads(await part.text())
            elif match:
                data = bytes(await part.read(decode=False))
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                files.append(
                    UploadedFile(
                        int(match[1]), part.filename or f"file{match[1]}", content_type, data
                    )
                )
            else:
                log.warning("multipart part %r ignored", part.name)
        return payload, files
    if not request.can_read_body:
        return {}, []
    try:
        return await request.json(), []
    except ValueError as exc:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from exc


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool
    limit: tuple[int, float] | None

    @property
    def bucket(self) -> str:
        return hashlib.md5(f"{self.method} {self.template}".encode()).hexdigest()


class _Window:
    """A fixed rate-limit window, as Discord's buckets behave."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.start, self.count = -math.inf, 0

    def hit(self, now: float) -> tuple[bool, int, float]:
        """Count a request: (allowed, remaining, seconds until reset)."""
        if now >= self.start + self.period:
            self.start, self.count = now, 0
        reset_after = self.start + self.period - now
        if self.count >= self.limit:
            return False, 0, reset_after
        self.count += 1
        return True, self.limit - self.count, reset_after


def ratelimit_headers(
    bucket: str, limit: int, remaining: int, reset_after: float
) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(remaining, 0)),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
        "Via": "1.1 google",  # discord.py only trusts a 429 that came through Discord's proxy
    }


def _cut(request: web.Request) -> None:
    """Ends the connection without an answer, as a network failure does."""
    log.info("cutting the connection of %s %s", request.method, request.path)
    if request.transport is not None:
        request.transport.abort()
    raise ConnectionResetError("cut by the stand-in")


class RestApi:
    def __init__(
        self,
        state: StandInState,
        gateway: Gateway,
        *,
        message_rate_limit: tuple[int, float],
        hide_message_rate_limit: bool,
    ) -> None:
        self.state = state
        self.gateway = gateway
        self.message_rate_limit = message_rate_limit
        self.hide_message_rate_limit = hide_message_rate_limit
        self._routes: list[_Route] = []
        self._windows: dict[str, _Window] = {}
        self.faults: dict[tuple[str, str], list[ApiError]] = {}
        """Errors to answer instead of the route, by (method, route template), first first."""
        self.delays: dict[tuple[str, str], float] = {}
        """Seconds to wait before serving a route, by (method, route template)."""
        self.drops: dict[tuple[str, str], list[bool]] = {}
        """Connections to cut instead of answering, by (method, route template), first
        first: True once the request was served (what it made is kept), False before."""
        self._register()

    def add(
        self,
        method: str,
        template: str,
        handler: Handler,
        *,
        auth: bool = True,
        limit: tuple[int, float] | None = None,
    ) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append(_Route(method, template, re.compile(regex), handler, auth, limit))

    def _register(self) -> None:
        add = self.add
        add("GET", "/users/@me", self.get_me)
        add("POST", "/users/@me/channels", self.create_dm)
        add("GET", "/users/{user}", self.get_user)
        add("GET", "/oauth2/applications/@me", self.get_application)
        add("GET", "/applications/@me", self.get_application)
        add("GET", "/gateway", self.get_gateway, auth=False)
        add("GET", "/gateway/bot", self.get_gateway_bot)
        add("GET", "/channels/{channel}", self.get_channel)
        add("GET", "/channels/{channel}/messages", self.get_messages)
        add(
            "POST",
            "/channels/{channel}/messages",
            self.create_message,
            limit=self.message_rate_limit,
        )
        add("GET", "/channels/{channel}/messages/{message}", self.get_message)
        add("PATCH", "/channels/{channel}/messages/{message}", self.edit_message)
        add("DELETE", "/channels/{channel}/messages/{message}", self.delete_message)
        add("POST", "/channels/{channel}/typing", self.typing)
        add("GET", "/guilds/{guild}", self.get_guild)
        add("GET", "/guilds/{guild}/channels", self.get_guild_channels)
        add("GET", "/guilds/{guild}/members/{user}", self.get_member)
        from tests.support.standins.discord_commands import register_command_routes
        from tests.support.standins.discord_threads import register_thread_routes
        from tests.support.standins.discord_webhooks import register_interaction_routes

        register_command_routes(self)
        register_interaction_routes(self)
        register_thread_routes(self)

    # -- dispatching -------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The catch-all aiohttp handler: every HTTP request to the stand-in lands here."""
        now = time.monotonic()
        if request.method == "GET" and request.path.startswith("/attachments/"):
            return self._serve_attachment(request.path, request.query.get("hm"))
        path = (
            request.path[len(API_PREFIX) :] if request.path.startswith(API_PREFIX + "/") else None
        )
        candidates = (
            [(r, r.pattern.fullmatch(path)) for r in self._routes] if path is not None else []
        )
        matches = [(r, m) for r, m in candidates if m is not None]
        found = next(((r, m) for r, m in matches if r.method == request.method), None)
        if found is None:
            status = 405 if matches else 404
            log.warning("stand-in has no route for %s %s", request.method, request.path_qs)
            record = RequestRecord(request.method, request.path_qs, status, now)
            self.state.unknown_requests.append(record)
            self.state.requests.append(record)
            message = "405: Method Not Allowed" if matches else "404: Not Found"
            return json_response({"message": message, "code": 0}, status)
        route, match = found
        params = match.groupdict()
        response = await self._call(request, route, params, now)
        self.state.requests.append(
            RequestRecord(request.method, request.path_qs, response.status, now)
        )
        log.debug("%s %s -> %s", request.method, request.path_qs, response.status)
        return response

    async def _call(
        self, request: web.Request, route: _Route, params: dict[str, str], now: float
    ) -> web.Response:
        if route.auth and request.headers.get("Authorization") != f"Bot {self.state.token}":
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        major = next((params[k] for k in ("channel", "guild", "token", "app") if k in params), "")
        limit, period = route.limit or GENERIC_LIMIT
        window = self._windows.setdefault(f"{route.bucket}:{major}", _Window(limit, period))
        allowed, remaining, reset_after = window.hit(now)
        if route.limit is None:
            allowed = True  # generic buckets are reported, never enforced
        elif self.hide_message_rate_limit:
            limit, remaining = GENERIC_LIMIT[0], GENERIC_LIMIT[0] - window.count
        headers = ratelimit_headers(route.bucket, limit, remaining, reset_after)
        if not allowed:
            self.state.rate_limited.append(RequestRecord(request.method, request.path_qs, 429, now))
            log.info("429 for %s %s, retry after %.2fs", request.method, request.path, reset_after)
            body = {
                "message": "You are being rate limited.",
                "retry_after": round(reset_after, 3),
                "global": False,
            }
            response = json_response(body, 429)
            headers.update(
                {"Retry-After": str(math.ceil(reset_after)), "X-RateLimit-Scope": "user"}
            )
        else:
            try:
                if delay := self.delays.get((route.method, route.template)):
                    await asyncio.sleep(delay)
                faults = self.faults.get((route.method, route.template))
                if faults:
                    raise faults.pop(0)
                drops = self.drops.get((route.method, route.template))
                served = drops.pop(0) if drops else None
                if served is False:
                    _cut(request)
                response = await route.handler(request, params)  # type: ignore[assignment]
                if served:
                    _cut(request)
            except ApiError as error:
                log.info("%s %s -> %s %s", request.method, request.path, error.status, error.body())
                response = json_response(error.body(), error.status)
            except ConnectionResetError:
                raise  # cut on purpose (`drops`): no answer at all
            except Exception as exc:  # a stand-in bug: fail fast (a 500 would be retried ~25 s)
                log.exception("stand-in error on %s %s", request.method, request.path)
                self.state.internal_errors.append(f"{request.method} {request.path}: {exc!r}")
                body = {"message": f"stand-in internal error: {exc!r}", "code": 0}
                response = json_response(body, 400)
        response.headers.update(headers)
        return response

    def _serve_attachment(self, path: str, signature: str | None) -> web.Response:
        parts = path.split("/")
        attachment = (
            self.state.attachments.get(int(parts[2]))
            if len(parts) > 3 and parts[2].isdigit()
            else None
        )
        if attachment is None or not attachment.serves(signature):
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(
            body=attachment.data, content_type=attachment.content_type or "application/octet-stream"
        )

    # -- users, application, gateway ---------------------------------------------------------------

    async def get_me(self, request: web.Request, params: dict[str, str]) -> web.Response:
        bot = self.state.bot.payload()
        return json_response(
            {**bot, "verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"}
        )

    async def get_user(self, request: web.Request, params: dict[str, str]) -> web.Response:
        user = self.state.user(int(params["user"])) if params["user"].isdigit() else None
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return json_response(user.payload())

    async def create_dm(self, request: web.Request, params: dict[str, str]) -> web.Response:
        payload, _ = await read_body(request)
        user = self.state.user(int(payload.get("recipient_id") or 0))
        if user is None:
            raise ApiError(400, 50033, "Invalid Recipient(s)")
        return json_response(self.state.dm_channel(user).payload())

    async def get_application(self, request: web.Request, params: dict[str, str]) -> web.Response:
        state = self.state
        return json_response(
            {
                "id": str(state.application_id),
                "name": state.bot.username,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": hashlib.sha256(str(state.application_id).encode()).hexdigest(),
                "flags": 1 << 23,
                "owner": state.owner.payload(),
                "team": None,
                "bot": state.bot.payload(),
                "hook": True,
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "tags": [],
                "approximate_guild_count": len(state.guilds),
                "integration_types_config": {"0": {}},
                "install_params": {
                    "scopes": ["bot", "applications.commands"],
                    "permissions": str(Perm.DEFAULT_BOT),
                },
            }
        )

    async def get_gateway(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return json_response({"url": self.gateway.url})

    async def get_gateway_bot(self, request: web.Request, params: dict[str, str]) -> web.Response:
        limits = {
            "total": 1000,
            "remaining": 1000 - self.gateway.identify_count,
            "reset_after": 86_400_000,
            "max_concurrency": self.gateway.max_concurrency,
        }
        shards = self.gateway.recommended_shards
        return json_response(
            {"url": self.gateway.url, "shards": shards, "session_start_limit": limits}
        )

    # -- channels and messages ---------------------------------------------------------------------

    async def get_channel(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return json_response(self.state.channel_or_404(params["channel"]).payload())

    async def get_messages(self, request: web.Request, params: dict[str, str]) -> web.Response:
        channel = self.state.channel_or_404(params["channel"])
        channel.check_bot_may("read")
        query = request.query
        limit = int(query.get("limit", 50))
        if not 1 <= limit <= 100:
            raise ApiError.form(
                "limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 100."
            )
        if not channel.bot_can(Perm.READ_MESSAGE_HISTORY):
            return json_response([])  # Discord answers an empty history, not an error
        messages = channel.messages
        if "around" in query:
            around = int(query["around"])
            older = [m for m in messages if m.id <= around][-((limit + 1) // 2) :]
            messages = older + [m for m in messages if m.id > around][: limit - len(older)]
        elif "before" in query:
            messages = [m for m in messages if m.id < int(query["before"])][-limit:]
        elif "after" in query:
            messages = [m for m in messages if m.id > int(query["after"])][:limit]
        else:
            messages = messages[-limit:]
        return json_response(
            [m.payload() for m in reversed(messages)]
        )  # newest first, like Discord

    async def create_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        channel = self.state.channel_or_404(params["channel"])
        channel.check_bot_may("send")
        payload, files = await read_body(request)
        limit = self.state.filesize_limit(channel)
        message = self.state.create_message(
            channel, self.state.bot, payload, files, size_limit=limit
        )
        return json_response(message.payload())

    async def get_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        channel = self.state.channel_or_404(params["channel"])
        return json_response(self.state.message_or_404(channel, params["message"]).payload())

    async def edit_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        channel = self.state.channel_or_404(params["channel"])
        message = self.state.message_or_404(channel, params["message"])
        if message.author is not self.state.bot:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        payload, files = await read_body(request)
        self.state.edit_message(
            message, payload, files, size_limit=self.state.filesize_limit(channel)
        )
        return json_response(message.payload())

    async def delete_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        channel = self.state.channel_or_404(params["channel"])
        message = self.state.message_or_404(channel, params["message"])
        guild = channel.guild
        may_manage = (
            guild is not None and guild.permissions_for(self.state.bot) & Perm.MANAGE_MESSAGES
        )
        if message.author is not self.state.bot and not may_manage:
            raise ApiError(403, 50013, "Missing Permissions")
        self.state.delete_message(message)
        return no_content()

    async def typing(self, request: web.Request, params: dict[str, str]) -> web.Response:
        self.state.channel_or_404(params["channel"])
        return no_content()

    # -- guilds ------------------------------------------------------------------------------------

    def _guild(self, guild_id: str) -> Any:
        guild = self.state.guilds.get(int(guild_id)) if guild_id.isdigit() else None
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    async def get_guild(self, request: web.Request, params: dict[str, str]) -> web.Response:
        guild = self._guild(params["guild"])
        data = guild.payload()
        if request.query.get("with_counts") in ("true", "1", "True"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return json_response(data)

    async def get_guild_channels(
        self, request: web.Request, params: dict[str, str]
    ) -> web.Response:
        return json_response([c.payload() for c in self._guild(params["guild"]).channels])

    async def get_member(self, request: web.Request, params: dict[str, str]) -> web.Response:
        guild = self._guild(params["guild"])
        user = self.state.user(int(params["user"])) if params["user"].isdigit() else None
        if user is None or user not in guild.members:
            raise ApiError(404, 10007, "Unknown Member")
        return json_response(guild.member_payload(user))
