"""Threads and forum posts: the two thread-create routes and the channel-type rules around them.

Private module of :mod:`tests.support.standins.discord_api`.

Rules modelled (https://discord.com/developers/docs/resources/channel#start-thread-from-message):

* ``POST /channels/{id}/messages/{id}/threads`` starts a thread whose id is the message's
  (type 11, or 10 in a news channel); a message has at most one (400 / 160004);
* ``POST /channels/{id}/threads`` starts a thread without a message (``type`` 11 or 12, 12 by
  default as in API v10) or, in a forum, a post: it needs ``message``, which becomes the
  starter message with the thread's id, and the answer carries it as ``message``;
* threads cannot have threads, and voice channels and DMs none either (400 / 50024);
* names are 1-100 characters (400 / 50035);
* the bot needs View Channel (else 403 / 50001) and Create Public Threads, or Create Private
  Threads for a private one, and Send Messages for a forum post (else 403 / 50013).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from tests.support.standins.discord_guilds import (
    GUILD_FORUM,
    GUILD_NEWS,
    GUILD_TEXT,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    Channel,
    wrong_channel_type,
)
from tests.support.standins.discord_models import JSON, ApiError, Perm
from tests.support.standins.discord_rest import json_response, read_body
from tests.support.standins.discord_validation import validate_message

if TYPE_CHECKING:
    from tests.support.standins.discord_rest import RestApi



def register_thread_routes(api: RestApi) -> None:
    routes = _ThreadRoutes(api)
    api.add("POST", "/channels/{channel}/threads", routes.start_thread)
    api.add("POST", "/channels/{channel}/messages/{message}/threads", routes.start_from_message)


def _check_may_start(channel: Channel, kind: int) -> None:
    if not channel.bot_can(Perm.VIEW_CHANNEL):
        raise ApiError(403, 50001, "Missing Access")
    if channel.type == GUILD_FORUM:
        needed = Perm.SEND_MESSAGES | Perm.CREATE_PUBLIC_THREADS
    elif kind == PRIVATE_THREAD:
        needed = Perm.CREATE_PRIVATE_THREADS
    else:
        needed = Perm.CREATE_PUBLIC_THREADS
    if not channel.bot_can(needed):
        raise ApiError(403, 50013, "Missing Permissions")


class _ThreadRoutes:
    def __init__(self, api: RestApi) -> None:
        self.state = api.state

    def _name(self, payload: JSON) -> str:
        name = payload.get("name") or ""
        if not 1 <= len(name) <= 100:
            raise ApiError.form(
                "name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        return str(name)

    async def start_from_message(
        self, request: web.Request, params: dict[str, str]
    ) -> web.Response:
        state = self.state
        channel = state.channel_or_404(params["channel"])
        message = state.message_or_404(channel, params["message"])
        if channel.type not in (GUILD_TEXT, GUILD_NEWS) or channel.guild is None:
            raise wrong_channel_type()
        _check_may_start(channel, PUBLIC_THREAD)
        if message.id in state.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        payload, _ = await read_body(request)
        thread = channel.guild.add_thread(
            channel, self._name(payload), owner=state.bot, thread_id=message.id
        )
        return json_response(thread.payload(), 201)

    async def start_thread(self, request: web.Request, params: dict[str, str]) -> web.Response:
        state = self.state
        channel = state.channel_or_404(params["channel"])
        if channel.type not in (GUILD_TEXT, GUILD_NEWS, GUILD_FORUM) or channel.guild is None:
            raise wrong_channel_type()
        payload, files = await read_body(request)
        name = self._name(payload)
        guild = channel.guild
        _check_may_start(channel, payload.get("type") or PRIVATE_THREAD)
        if channel.type != GUILD_FORUM:
            kind = payload.get("type") or PRIVATE_THREAD
            if kind not in (PUBLIC_THREAD, PRIVATE_THREAD) or (
                channel.type == GUILD_NEWS and kind == PRIVATE_THREAD
            ):
                raise ApiError.form("type", "BASE_TYPE_CHOICES", "Value must be one of {11, 12}.")
            thread = guild.add_thread(channel, name, owner=state.bot, type=kind)
            return json_response(thread.payload(), 201)
        starter = payload.get("message")
        if not isinstance(starter, dict):
            raise ApiError.form("message", "BASE_TYPE_REQUIRED", "This field is required")
        validate_message(starter, files, size_limit=state.filesize_limit(channel), creating=True)
        # The post and its starter message share one id.
        post_id = state.new_id()
        thread = guild.add_thread(channel, name, owner=state.bot, thread_id=post_id)
        message = state.create_message(
            thread,
            state.bot,
            starter,
            files,
            size_limit=state.filesize_limit(thread),
            message_id=post_id,
            validate=False,
        )
        return json_response({**thread.payload(), "message": message.payload()}, 201)
