"""Interaction callbacks and interaction-token webhooks, with Discord's acknowledgement rules.

Private module of :mod:`tests.support.standins.discord_api`.

Rules modelled:

* a callback must come within ``ack_deadline`` (3 s) of the dispatch, else 404 / 10062
  Unknown interaction;
* only one callback is accepted; a second one gets 400 / 40060;
* followups need an acknowledged interaction (else 404 / 10015 Unknown Webhook);
* after a deferral (type 5), while the original is still loading, the first followup
  *fills in the original* (same message id) and keeps the deferral's ephemerality, whatever
  flags it asks for;
* the token works for ``token_ttl`` (15 min) after the dispatch, then 401 / 50027 Invalid
  Webhook Token.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from aiohttp import web

from tests.support.standins.discord_interactions import StandInInteraction
from tests.support.standins.discord_models import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    JSON,
    ApiError,
    Message,
)
from tests.support.standins.discord_rest import json_response, no_content, read_body
from tests.support.standins.discord_state import CREATE_FLAGS, UploadedFile
from tests.support.standins.discord_validation import validate_message, validate_modal

if TYPE_CHECKING:
    from tests.support.standins.discord_rest import RestApi

log = logging.getLogger("tests.support.standins.discord.interactions")

# callback types each interaction type accepts
ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


def register_interaction_routes(api: RestApi) -> None:
    routes = _InteractionRoutes(api)
    add = api.add
    add("POST", "/interactions/{interaction}/{token}/callback", routes.callback, auth=False)
    add("GET", "/webhooks/{app}/{token}/messages/@original", routes.get_original, auth=False)
    add("PATCH", "/webhooks/{app}/{token}/messages/@original", routes.edit_original, auth=False)
    add("DELETE", "/webhooks/{app}/{token}/messages/@original", routes.delete_original, auth=False)
    add("GET", "/webhooks/{app}/{token}/messages/{message}", routes.get_message, auth=False)
    add("PATCH", "/webhooks/{app}/{token}/messages/{message}", routes.edit_message, auth=False)
    add("DELETE", "/webhooks/{app}/{token}/messages/{message}", routes.delete_message, auth=False)
    add("POST", "/webhooks/{app}/{token}", routes.followup, auth=False)


class _InteractionRoutes:
    def __init__(self, api: RestApi) -> None:
        self.state = api.state

    # -- POST /interactions/{id}/{token}/callback --------------------------------------------------

    async def callback(self, request: web.Request, params: dict[str, str]) -> web.Response:
        arrived = time.monotonic()
        state = self.state
        ix = (
            state.interactions.get(int(params["interaction"]))
            if params["interaction"].isdigit()
            else None
        )
        if ix is None or ix.token != params["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        payload, files = await read_body(request)
        kind = payload.get("type")
        data: JSON = payload.get("data") or {}
        what = f"callback {kind}"
        elapsed = ix.note(what)
        try:
            if ix.acked:
                raise ApiError(400, 40060, "Interaction has already been acknowledged.")
            if arrived - ix.dispatched_at > state.ack_deadline:
                raise ApiError(404, 10062, "Unknown interaction")
            if kind not in ALLOWED_CALLBACKS.get(ix.type, set()):
                raise ApiError.form(
                    "type",
                    "INTERACTION_CALLBACK_TYPE_INVALID",
                    f"Callback type {kind} is not valid for interaction type {ix.type}",
                )
            message = self._respond(ix, kind, data, files)
        except ApiError as error:
            ix.rejected.append((what, error.code))
            state.changed()
            raise
        ix.callbacks.append((kind, payload.get("data")))
        ix.callback_latencies.append(arrived - ix.dispatched_at)
        log.debug("interaction %s acknowledged with type %s after %.3fs", ix.id, kind, elapsed)
        state.changed()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        ix.answers_asked += 1
        return json_response(self._callback_body(ix, kind, message))

    def _respond(
        self, ix: StandInInteraction, kind: int, data: JSON, files: list[UploadedFile]
    ) -> Message | None:
        state = self.state
        limit = ix.payload["attachment_size_limit"]
        if kind == 4:
            flags = (data.get("flags") or 0) & CREATE_FLAGS
            ix.original = state.create_message(
                ix.channel, state.bot, data, files, size_limit=limit, flags=flags, interaction=ix
            )
            return ix.original
        if kind == 5:
            flags = ((data.get("flags") or 0) & FLAG_EPHEMERAL) | FLAG_LOADING
            ix.original = state.create_message(
                ix.channel,
                state.bot,
                {},
                [],
                size_limit=limit,
                flags=flags,
                interaction=ix,
                validate=False,
            )
            return ix.original
        if kind in (6, 7):
            if kind == 7:
                if ix.message is None:
                    raise ApiError(400, 50035, "Invalid Form Body")
                state.edit_message(ix.message, data, files, size_limit=limit)
            ix.original = ix.message
            return ix.message if kind == 7 else None
        if kind == 8:
            choices = data.get("choices") or []
            if len(choices) > 25:
                raise ApiError.form(
                    "data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                )
            ix.choices = choices
            return None
        validate_modal(data)  # kind == 9
        ix.modal = data
        state.modals[data["custom_id"]] = (data, ix.message)
        return None

    @staticmethod
    def _callback_body(ix: StandInInteraction, kind: int, message: Message | None) -> JSON:
        interaction: JSON = {"id": str(ix.id), "type": ix.type}
        resource: JSON = {"type": kind}
        if message is not None:
            interaction.update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = message.payload()
        return {"interaction": interaction, "resource": resource}

    # -- /webhooks/{app}/{token}... ----------------------------------------------------------------

    def _interaction(self, params: dict[str, str], what: str) -> StandInInteraction:
        ix = self.state.interaction_tokens.get(params["token"])
        if ix is not None:
            ix.note(what)
        if ix is None or ix.expired:
            if ix is not None:
                ix.rejected.append((what, 50027))
                self.state.changed()
            raise ApiError(401, 50027, "Invalid Webhook Token")
        if params["app"] != str(self.state.application_id):
            raise ApiError(404, 10015, "Unknown Webhook")
        return ix

    def _message(self, ix: StandInInteraction, message_id: str) -> Message:
        if message_id == "@original":
            message = ix.original
        else:
            message = self.state.messages.get(int(message_id)) if message_id.isdigit() else None
            if message is not None and not (
                message is ix.original or message is ix.message or message in ix.followups
            ):
                message = None
        if message is None or message.deleted:
            ix.rejected.append((f"message {message_id}", 10008))
            raise ApiError(404, 10008, "Unknown Message")
        return message

    async def get_original(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return await self.get_message(request, {**params, "message": "@original"})

    async def edit_original(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return await self.edit_message(request, {**params, "message": "@original"})

    async def delete_original(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return await self.delete_message(request, {**params, "message": "@original"})

    async def get_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        ix = self._interaction(params, f"GET {params['message']}")
        return json_response(self._message(ix, params["message"]).payload())

    async def edit_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        ix = self._interaction(params, f"PATCH {params['message']}")
        message = self._message(ix, params["message"])
        payload, files = await read_body(request)
        size_limit = ix.payload["attachment_size_limit"]
        self.state.edit_message(
            message, payload, files, size_limit=size_limit, unset_flags=FLAG_LOADING
        )
        return json_response(message.payload())

    async def delete_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        ix = self._interaction(params, f"DELETE {params['message']}")
        self.state.delete_message(self._message(ix, params["message"]))
        return no_content()

    async def followup(self, request: web.Request, params: dict[str, str]) -> web.Response:
        ix = self._interaction(params, "followup")
        if not ix.acked:
            ix.rejected.append(("followup", 10015))
            raise ApiError(404, 10015, "Unknown Webhook")
        payload, files = await read_body(request)
        state = self.state
        size_limit = ix.payload["attachment_size_limit"]
        original = ix.original
        if original is not None and original.loading and not original.deleted:
            # Discord fills the "thinking" response in with the first followup, and it keeps
            # the deferral's ephemerality.
            validate_message(payload, files, size_limit=size_limit, creating=True)
            state.edit_message(
                original, payload, files, size_limit=size_limit, unset_flags=FLAG_LOADING
            )
            message = original
        else:
            flags = (payload.get("flags") or 0) & CREATE_FLAGS
            message = state.create_message(
                ix.channel,
                state.bot,
                payload,
                files,
                size_limit=size_limit,
                flags=flags,
                interaction=ix,
            )
            ix.followups.append(message)
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(message.payload())
        return no_content()
