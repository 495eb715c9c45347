"""Application command registration: bulk overwrite (PUT), list (GET), create (POST), global or per
guild. Ids survive overwrites by (name, type), as on Discord; PUTs are counted per scope.

Private module of :mod:`tests.support.standins.discord_api`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from tests.support.standins.discord_models import JSON, ApiError
from tests.support.standins.discord_rest import json_response, read_body
from tests.support.standins.discord_validation import validate_command

if TYPE_CHECKING:
    from tests.support.standins.discord_rest import RestApi

log = logging.getLogger("tests.support.standins.discord.rest")


def register_command_routes(api: RestApi) -> None:
    routes = _CommandRoutes(api)
    for prefix in ("/applications/{app}", "/applications/{app}/guilds/{guild}"):
        api.add("GET", prefix + "/commands", routes.get_commands)
        api.add("PUT", prefix + "/commands", routes.put_commands)
        api.add("POST", prefix + "/commands", routes.post_command)


class _CommandRoutes:
    def __init__(self, api: RestApi) -> None:
        self.state = api.state

    def _scope(self, params: dict[str, str]) -> int | None:
        if params["app"] != str(self.state.application_id):
            raise ApiError(403, 50001, "Missing Access")
        if "guild" not in params:
            return None
        if not params["guild"].isdigit() or int(params["guild"]) not in self.state.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return int(params["guild"])

    async def get_commands(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return json_response(self.state.commands.get(self._scope(params), []))

    async def put_commands(self, request: web.Request, params: dict[str, str]) -> web.Response:
        scope = self._scope(params)
        payload, _ = await read_body(request)
        if not isinstance(payload, list):
            raise ApiError.form("_errors", "BASE_TYPE_ARRAY", "Must be an array.")
        if len(payload) > 100:
            raise ApiError.form(
                "_errors", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."
            )
        names = [(c.get("name"), c.get("type", 1)) for c in payload]
        for index, command in enumerate(payload):
            validate_command(command, str(index))
            if names.count(names[index]) > 1:
                raise ApiError.form(
                    f"{index}.name",
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {command.get('name')}",
                )
        self.state.commands[scope] = [self._stored(command, scope) for command in payload]
        self.state.command_puts[scope] = self.state.command_puts.get(scope, 0) + 1
        log.info("commands overwritten for %s: %s", scope or "global", [c["name"] for c in payload])
        self.state.changed()
        return json_response(self.state.commands[scope])

    async def post_command(self, request: web.Request, params: dict[str, str]) -> web.Response:
        scope = self._scope(params)
        command, _ = await read_body(request)
        validate_command(command, "")
        existing = self.state.commands.setdefault(scope, [])
        stored = self._stored(command, scope)
        created = not any(c["id"] == stored["id"] for c in existing)
        existing[:] = [c for c in existing if c["id"] != stored["id"]] + [stored]
        self.state.changed()
        return json_response(stored, 201 if created else 200)

    def _stored(self, command: JSON, scope: int | None) -> JSON:
        kind = command.get("type", 1)
        previous = next(
            (
                c
                for c in self.state.commands.get(scope, [])
                if c["name"] == command.get("name") and c.get("type", 1) == kind
            ),
            None,
        )
        stored: JSON = {
            "type": 1,
            "name_localizations": None,
            "description": "",
            "description_localizations": None,
            "default_member_permissions": None,
            "dm_permission": True,
            "contexts": None,
            "integration_types": [0],
            "nsfw": False,
            **command,
            "id": previous["id"] if previous else str(self.state.new_id()),
            "application_id": str(self.state.application_id),
            "version": str(self.state.new_id()),
        }
        if (
            stored["default_member_permissions"] is not None
        ):  # discord.py sends an int; Discord answers a string
            stored["default_member_permissions"] = str(stored["default_member_permissions"])
        if stored["integration_types"] is None:
            stored["integration_types"] = [0]
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored
