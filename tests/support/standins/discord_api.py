"""A Discord stand-in: a real HTTP + websocket server on 127.0.0.1 for the unmodified discord.py.

Usage::

    standin = DiscordStandIn()
    await standin.start()
    restore = standin.install()          # discord.py's REST base and gateway URL -> the stand-in
    guild = standin.add_guild('Test')
    channel = guild.add_channel('general')
    alice = standin.add_user('alice', permissions=Perm.MANAGE_GUILD)
    ... start the bot with ``standin.token`` ...
    await standin.wait_for_ready()
    ix = await standin.slash(channel, alice, 'imagine', prompt='a cat')
    await ix.wait_for_ack()
    forum = guild.add_forum('gallery', nsfw=True)       # type 15: takes posts, not messages
    post = guild.add_thread(forum, 'my post', owner=alice)  # a thread (THREAD_CREATE)
    ix = await standin.slash(post, alice, 'imagine', prompt='a cat')  # channel has parent_id
    channel.bot_denied = Perm.READ_MESSAGE_HISTORY     # a channel overwrite against the bot
    standin.fail('GET', '/channels/{channel}/messages', 503)  # the next such request fails
    ...
    await standin.stop()                 # also undoes install()

The ``discord_*`` modules next to this one hold the parts; what a test needs is re-exported here.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.support.standins.discord_gateway import (
    INTENT_GUILD_MEMBERS,
    MAX_GUILDS_PER_SHARD,
    Gateway,
    GatewaySession,
)
from tests.support.standins.discord_guilds import (
    GUILD_FORUM,
    GUILD_NEWS,
    GUILD_STAGE,
    GUILD_TEXT,
    GUILD_VOICE,
    NEWS_THREAD,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    Channel,
    Guild,
)
from tests.support.standins.discord_interactions import StandInInteraction, new_interaction
from tests.support.standins.discord_models import (
    DEFAULT_FILESIZE_LIMIT,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    JSON,
    ApiError,
    Attachment,
    Message,
    Perm,
    User,
)
from tests.support.standins.discord_payloads import (
    CommandUnavailable,
    check_available,
    command_data,
    component_data,
    find_message_command,
    modal_data,
)
from tests.support.standins.discord_rest import RestApi
from tests.support.standins.discord_state import RequestRecord, StandInState

__all__ = [
    "DEFAULT_FILESIZE_LIMIT",
    "FLAG_EPHEMERAL",
    "FLAG_LOADING",
    "GUILD_FORUM",
    "GUILD_NEWS",
    "GUILD_STAGE",
    "GUILD_TEXT",
    "GUILD_VOICE",
    "NEWS_THREAD",
    "PRIVATE_THREAD",
    "PUBLIC_THREAD",
    "ApiError",
    "Attachment",
    "Channel",
    "CommandUnavailable",
    "DiscordStandIn",
    "GatewaySession",
    "Guild",
    "Installation",
    "Message",
    "Perm",
    "RequestRecord",
    "StandInInteraction",
    "User",
]

log = logging.getLogger("tests.support.standins.discord")


class Installation:
    """Points discord.py at the stand-in until :meth:`restore` (also callable; context manager)."""

    def __init__(self, api_base: str, gateway_url: str) -> None:
        import yarl
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        self._saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        self._active = True
        Route.BASE = api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    @property
    def active(self) -> bool:
        return self._active

    def restore(self) -> None:
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        if self._active:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._active = False

    __call__ = restore

    def __enter__(self) -> Installation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.restore()


class DiscordStandIn:
    def __init__(
        self,
        *,
        token: str | None = None,
        token_ttl: float = 900.0,
        ack_deadline: float = 3.0,
        message_rate_limit: tuple[int, float] = (5, 5.0),
        hide_message_rate_limit: bool = False,
        bot_name: str = "FluxBot",
        heartbeat_interval: float = 41.25,
        max_concurrency: int = 1,
        max_guilds_per_shard: int = MAX_GUILDS_PER_SHARD,
    ) -> None:
        """
        ``token_ttl``: seconds an interaction token works for webhooks (Discord: 15 min).
        ``ack_deadline``: seconds the bot has to answer an interaction's callback (Discord: 3 s).
        ``message_rate_limit``: (messages, seconds) per channel for POST /channels/{id}/messages.
        ``hide_message_rate_limit``: report a roomy bucket in the headers, so that discord.py
        does not pre-empt the limit and really gets the 429 (as with Discord's hidden
        sub-limits, or a second process on the same token).
        ``max_concurrency``: identifies allowed per 5 s (GET /gateway/bot's session_start_limit);
        shard ``n`` identifies in bucket ``n % max_concurrency``, one per bucket per 5 s, and an
        identify too soon is answered with op 9 (invalid session).
        ``max_guilds_per_shard``: a shard with more guilds is refused with 4011 (sharding
        required); Discord's limit is 2500.
        """
        self._state = StandInState(
            token=token or "", token_ttl=token_ttl, ack_deadline=ack_deadline, bot_name=bot_name
        )
        state = self._state
        if not token:
            app_part = base64.b64encode(str(state.application_id).encode()).decode().rstrip("=")
            state.token = f"{app_part}.StandIn.{secrets.token_urlsafe(27)}"
        self.gateway = Gateway(
            state,
            heartbeat_interval=heartbeat_interval,
            max_concurrency=max_concurrency,
            max_guilds_per_shard=max_guilds_per_shard,
        )
        self.rest = RestApi(
            state,
            self.gateway,
            message_rate_limit=message_rate_limit,
            hide_message_rate_limit=hide_message_rate_limit,
        )
        self._runner: web.AppRunner | None = None
        self._installation: Installation | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> DiscordStandIn:
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("GET", "/gateway", self.gateway.handle)
        app.router.add_route("GET", "/gateway/resume", self.gateway.handle)
        app.router.add_route("*", "/{tail:.*}", self.rest.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        # A deep accept queue, as a real API has: with aiohttp's default of 128, a burst of
        # new connections overflows it and the kernel retries the rest a second later.
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._state.base_url = f"http://127.0.0.1:{self.port}"
        self.gateway.url = f"ws://127.0.0.1:{self.port}/gateway"
        log.info("Discord stand-in listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        if self._installation is not None:
            self._installation.restore()
        if self._runner is not None:
            await self.gateway.close()
            await self._runner.cleanup()
            self._runner = None
        if self.unknown_requests:
            log.warning("Discord stand-in saw unknown routes: %s", self.unknown_requests)
        if self.internal_errors:
            log.error("Discord stand-in had internal errors: %s", self.internal_errors)

    async def __aenter__(self) -> DiscordStandIn:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def install(self) -> Installation:
        """Point ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` here; returns the undo."""
        if not self.port:
            raise RuntimeError("start() the stand-in before install()")
        self._installation = Installation(self.api_base, self.gateway.url)
        return self._installation

    # -- configuration and observation -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._state.base_url

    @property
    def api_base(self) -> str:
        return self._state.base_url + "/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.gateway.url

    @property
    def token(self) -> str:
        return self._state.token

    @property
    def application_id(self) -> int:
        return self._state.application_id

    @property
    def bot(self) -> User:
        return self._state.bot

    @property
    def owner(self) -> User:
        """The application's owner (and the owner of every stand-in guild)."""
        return self._state.owner

    @property
    def token_ttl(self) -> float:
        return self._state.token_ttl

    @token_ttl.setter
    def token_ttl(self, value: float) -> None:
        self._state.token_ttl = value

    @property
    def ack_deadline(self) -> float:
        return self._state.ack_deadline

    @ack_deadline.setter
    def ack_deadline(self, value: float) -> None:
        self._state.ack_deadline = value

    @property
    def commands(self) -> list[JSON]:
        """Every registered command payload, global ones first; guild ones carry ``guild_id``."""
        return [
            c
            for scope in sorted(self._state.commands, key=lambda s: s or 0)
            for c in self._state.commands[scope]
        ]

    def guild_commands(self, guild: Guild | None) -> list[JSON]:
        return list(self._state.commands.get(guild.id if guild else None, []))

    @property
    def command_puts(self) -> int:
        """How many bulk overwrites (PUT .../commands, global or guild) the bot made."""
        return sum(self._state.command_puts.values())

    @property
    def command_puts_by_scope(self) -> dict[int | None, int]:
        return dict(self._state.command_puts)

    @property
    def requests(self) -> list[RequestRecord]:
        return self._state.requests

    @property
    def unknown_requests(self) -> list[RequestRecord]:
        return self._state.unknown_requests

    @property
    def internal_errors(self) -> list[str]:
        """Bugs in the stand-in itself (answered with a 400 'stand-in internal error')."""
        return self._state.internal_errors

    @property
    def rate_limited(self) -> list[RequestRecord]:
        """Requests answered with a 429."""
        return self._state.rate_limited

    @property
    def interactions(self) -> list[StandInInteraction]:
        return list(self._state.interactions.values())

    @property
    def guilds(self) -> list[Guild]:
        return list(self._state.guilds.values())

    @property
    def users(self) -> list[User]:
        return list(self._state.users.values())

    @property
    def sessions(self) -> list[GatewaySession]:
        return list(self.gateway.sessions)

    def fail(
        self, method: str, route: str, status: int, code: int = 0, message: str = "", *,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``route`` (a template such as
        ``/channels/{channel}/messages``) with this error instead of serving them."""
        if not any(r.method == method and r.template == route for r in self.rest._routes):
            raise LookupError(f"the stand-in has no route {method} {route}")
        error = ApiError(status, code, message or f"{status}: stand-in fault")
        self.rest.faults.setdefault((method, route), []).extend([error] * times)

    def drop(self, method: str, route: str, *, served: bool, times: int = 1) -> None:
        """Cut the connection of the next ``times`` requests to ``route`` (a template)
        without an answer: after serving them (``served``: the message is stored, as when
        Discord's answer is lost on the way) or before (nothing reaches Discord)."""
        if not any(r.method == method and r.template == route for r in self.rest._routes):
            raise LookupError(f"the stand-in has no route {method} {route}")
        self.rest.drops.setdefault((method, route), []).extend([served] * times)

    def slow(self, method: str, route: str, seconds: float) -> None:
        """Serve every request to ``route`` (a template) only after ``seconds``."""
        if not any(r.method == method and r.template == route for r in self.rest._routes):
            raise LookupError(f"the stand-in has no route {method} {route}")
        self.rest.delays[(method, route)] = seconds

    def get_message(self, message_id: int) -> Message | None:
        return self._state.messages.get(message_id)

    def delete_message(self, message: Message) -> None:
        """Someone (a moderator, the author) deletes ``message``: fetching it answers 404
        Unknown Message from now on, and clients get MESSAGE_DELETE."""
        self._state.delete_message(message)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the tests' API, as for asyncio.wait_for
        what: str | None = None,
    ) -> None:
        """Wait until ``predicate()`` holds; re-checked on every stand-in change and every 20 ms."""
        description = what or str(getattr(predicate, "__name__", "condition"))
        await self._state.notifier.wait_until(predicate, timeout, description)

    async def wait_for_ready(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - the tests' API, as for asyncio.wait_for
        *,
        min_identifies: int = 1,
    ) -> GatewaySession:
        """Wait until a client is connected and was sent READY + GUILD_CREATEs, after at least
        ``min_identifies`` IDENTIFYs over the stand-in's life (2 = the restarted client)."""

        def ready() -> bool:
            return self.gateway.identify_count >= min_identifies and bool(
                self.gateway.connected_sessions
            )

        await self.wait_until(
            ready, timeout, f"a ready gateway client (identify #{min_identifies})"
        )
        return self.gateway.connected_sessions[-1]

    def request_reconnect(self) -> int:
        """Send op 7 RECONNECT to connected clients (discord.py then RESUMEs); returns how many."""
        return self.gateway.request_reconnect()

    # -- the world ---------------------------------------------------------------------------------

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        premium_tier: int = 0,
        features: Sequence[str] = (),
        filesize_limit: int | None = None,
        bot_permissions: int = Perm.DEFAULT_BOT,
        locale: str = "en-US",
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """A guild the bot is in; ``filesize_limit`` overrides the premium tier's upload limit;
        ``shard=(shard_id, shard_count)`` picks an id that shard owns."""
        state = self._state
        guild_id = state.snowflakes.next_on_shard(*shard) if shard else state.new_id()
        guild = Guild(
            guild_id,
            name,
            state.owner,
            state.bot,
            state,
            premium_tier=premium_tier,
            features=list(features),
            filesize_limit_override=filesize_limit,
            bot_permissions=bot_permissions,
            locale=locale,
            bot_role_id=state.new_id(),
        )
        state.guilds[guild.id] = guild
        for session in self.gateway.sessions_for(guild.id):  # the bot "joins" it
            all_members = bool(session.intents & INTENT_GUILD_MEMBERS)
            self.gateway._send_dispatch(
                session, "GUILD_CREATE", guild.gateway_payload(all_members=all_members)
            )
        state.changed()
        return guild

    def add_user(
        self,
        name: str,
        *,
        permissions: int = 0,
        locale: str = "en-US",
        global_name: str | None = None,
    ) -> User:
        """A user who is a member of every guild; ``permissions`` are granted on top of @everyone's
        (``Perm.MANAGE_GUILD``, ``Perm.MANAGE_MESSAGES``, ``Perm.ADMINISTRATOR`` ...)."""
        state = self._state
        user = User(
            state.new_id(), name, global_name=global_name, permissions=permissions, locale=locale
        )
        state.users[user.id] = user
        for guild in state.guilds.values():
            member = {**guild.member_payload(user), "guild_id": str(guild.id)}
            self.gateway.dispatch("GUILD_MEMBER_ADD", member, intent=INTENT_GUILD_MEMBERS)
        state.changed()
        return user

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between ``user`` and the bot."""
        return self._state.dm_channel(user)

    def register_attachment(
        self, data: bytes, filename: str, content_type: str | None = None
    ) -> Attachment:
        """A file a user 'uploaded' (for an attachment option); served at ``attachment.url``."""
        return self._state.create_attachment(data, filename, content_type, ephemeral=True)

    # -- what users do -----------------------------------------------------------------------------

    async def slash(
        self, channel: Channel, user: User, name: str, /, *path: str, **options: Any
    ) -> StandInInteraction:
        """``/name path... option=value``: dispatch an application command (type 2) interaction.

        Option values are typed from the command the bot registered: pass str/int/float/bool, a
        ``User``, a ``Channel``, a role id or an ``Attachment`` from :meth:`register_attachment`.
        Raises ``LookupError``/``ValueError`` for commands or options Discord would not accept, and
        ``CommandUnavailable`` where Discord would hide the command from this user.
        """
        if channel.type == GUILD_FORUM:
            raise ValueError("a forum takes posts, not messages: use a post (add_thread)")
        if channel.archived and channel.locked:
            raise CommandUnavailable(f"#{channel.name} is archived and locked")
        data = command_data(self._state, channel, user, name, path, options)
        return self._dispatch(new_interaction(self._state, 2, channel, user, data))

    async def message_command(
        self, channel: Channel, user: User, name: str, message: Message
    ) -> StandInInteraction:
        """A message context menu command (``name``, type 3) on ``message``."""
        command = find_message_command(self._state, channel, name)
        check_available(command, channel, user)
        data = {"id": command["id"], "name": command["name"], "type": 3,
                "target_id": str(message.id),
                "resolved": {"messages": {str(message.id): message.payload()}}}
        return self._dispatch(new_interaction(self._state, 2, channel, user, data))

    async def autocomplete(
        self, channel: Channel, user: User, name: str, /, *path: str, focused: str, **options: Any
    ) -> StandInInteraction:
        """Autocomplete (type 4) while ``user`` types option ``focused``; see ``ix.choices``."""
        data = command_data(self._state, channel, user, name, path, options, focused=focused)
        return self._dispatch(new_interaction(self._state, 4, channel, user, data))

    async def click(
        self, message: Message, custom_id: str, user: User, *, values: Sequence[Any] | None = None
    ) -> StandInInteraction:
        """Click a button (or choose ``values`` in a select) on ``message``: type 3."""
        if message.deleted:
            raise LookupError(f"message {message.id} was deleted")
        data = component_data(
            message, custom_id, list(values) if values is not None else None, message.channel.guild
        )
        return self._dispatch(
            new_interaction(self._state, 3, message.channel, user, data, message=message)
        )

    async def submit_modal(
        self,
        custom_id: str,
        values: dict[str, Any],
        user: User,
        channel: Channel | None = None,
        *,
        message: Message | None = None,
    ) -> StandInInteraction:
        """Submit the modal ``custom_id``, field values keyed by the inputs' custom_ids (type 5).

        The layout mirrors the modal the bot last opened with that custom_id (rows or labels);
        ``channel`` and ``message`` default to where that modal was opened from.
        """
        layout, source = self._state.modals.get(custom_id, (None, None))
        message = message or source
        if channel is None:
            opened = next(
                (ix for ix in reversed(self.interactions) if ix.modal is layout and layout), None
            )
            channel = message.channel if message else opened.channel if opened else None
        if channel is None:
            raise ValueError(f"modal {custom_id!r} was never opened; pass the channel")
        data = modal_data(custom_id, values, layout)
        return self._dispatch(new_interaction(self._state, 5, channel, user, data, message=message))

    async def forge_click(
        self,
        message: Message,
        custom_id: str,
        user: User,
        *,
        values: Sequence[Any] | None = None,
        shown: bool = False,
    ) -> StandInInteraction:
        """What a modified client can send: a click (type 3) with any ``custom_id``, and any
        select ``values``, for ``message``, whether the message carries that component or not.

        ``shown`` also puts the component into the message the interaction carries, so a
        library that looks the custom_id up on the message finds it and runs its handler:
        the worst case, for testing the handler's own checks. Without it the message is sent
        as it is, as Discord does.
        """
        kind = 3 if values is not None else 2
        data: JSON = {"custom_id": custom_id, "component_type": kind}
        if values is not None:
            data["values"] = [str(value) for value in values]
        ix = new_interaction(self._state, 3, message.channel, user, data, message=message)
        if shown:
            forged: JSON = {"type": kind, "custom_id": custom_id}
            if kind == 2:
                forged.update(style=2, label="forged")
            else:
                forged["options"] = [{"label": str(v), "value": str(v)} for v in values or []]
            shown_message = dict(ix.payload["message"])
            shown_message["components"] = [
                *shown_message.get("components", []), {"type": 1, "components": [forged]},
            ]
            ix.payload["message"] = shown_message
        return self._dispatch(ix)

    async def post_message(
        self,
        channel: Channel,
        user: User,
        content: str = "",
        *,
        attachments: Sequence[Attachment] = (),
    ) -> Message:
        """A user writes in ``channel`` (MESSAGE_CREATE to clients with the message intents)."""
        state = self._state
        message = Message(
            state.new_id(), channel, user, content=content, attachments=list(attachments)
        )
        state.messages[message.id] = message
        channel.history.append(message)
        state.dispatch("MESSAGE_CREATE", state.gateway_message(message), message=message)
        state.changed()
        return message

    def _dispatch(self, ix: StandInInteraction) -> StandInInteraction:
        ix.dispatched_at = time.monotonic()
        if not self.gateway.dispatch("INTERACTION_CREATE", ix.payload):
            raise RuntimeError("no gateway client is connected to receive the interaction")
        self._state.changed()
        return ix
