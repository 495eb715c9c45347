"""The one place that decides how to answer an interaction.

Discord's rules this encodes: an interaction is answered once (`response`), within 3 s;
after a deferral the answer is an edit of the original response. A *followup* sent while
the deferred original is still "thinking" replaces it and keeps the deferral's
ephemeral flag, so a public result must only be sent as a followup after the original
has been edited at least once (see `ensure_answered`).
"""

from __future__ import annotations

from typing import Any

import discord
from discord.http import Route, handle_message_parameters
from discord.utils import MISSING
from discord.webhook.async_ import async_context

from bot.i18n import Text, render

# What a private deferral sends: "thinking…", ephemeral (flags 64).
_DEFERRED = discord.InteractionResponseType.deferred_channel_message
_DEFER_PRIVATE = {"type": _DEFERRED.value, "data": {"flags": 64}}
_DEFERRABLE = (discord.InteractionType.application_command, discord.InteractionType.component,
               discord.InteractionType.modal_submit)


async def reply(
    interaction: discord.Interaction[Any],
    content: str | Text | None = None,
    *,
    ephemeral: bool = True,
    embed: discord.Embed | None = None,
) -> None:
    """Answers privately (or publicly on a fresh interaction), whatever state it is in.

    Before any response: a message. After a deferral: an edit of the original response,
    which is private when the deferral was. A `Text` is shown in the member's language.
    """
    if content is not None:
        content = render(content, interaction.locale)
    if not interaction.response.is_done():
        kwargs: dict[str, Any] = {"content": content, "ephemeral": ephemeral}
        if embed is not None:
            kwargs["embed"] = embed
        await interaction.response.send_message(**kwargs)
        return
    await interaction.edit_original_response(content=content, embed=embed, view=None)


async def defer_private(interaction: discord.Interaction[Any]) -> None:
    """Acknowledges at once; whatever follows privately goes into this 'thinking' message."""
    response = interaction.response
    if response.is_done():
        return
    if interaction.type not in _DEFERRABLE:
        await response.defer(ephemeral=True, thinking=True)
        return
    # `response.defer` asks Discord for the 'thinking' message it made and builds objects
    # of it that nothing here reads; this is the same callback without that answer,
    # through discord.py's own adapter (its retries, rate limits and errors). discord.py
    # is pinned in pyproject.toml.
    http = interaction._state.http
    await async_context.get().request(
        Route("POST", "/interactions/{webhook_id}/{webhook_token}/callback",
              webhook_id=interaction.id, webhook_token=interaction.token),
        session=interaction._session, proxy=http.proxy, proxy_auth=http.proxy_auth,
        payload=_DEFER_PRIVATE)
    response._response_type = _DEFERRED


async def edit_original(interaction: discord.Interaction[Any], *, content: str | None,
                        view: discord.ui.View | None = MISSING) -> None:
    """`interaction.edit_original_response(content=..., view=...)`, without the Message
    discord.py builds of Discord's answer (about a tenth of the edit's CPU on the bot's
    side; the callers never read it). The request goes through discord.py's own adapter, so its
    retries, rate limits and errors (HTTPException when Discord refuses) are unchanged;
    a view is stored for its clicks as discord.py stores it. discord.py is pinned in
    pyproject.toml."""
    state = interaction._state
    with handle_message_parameters(content=content, view=view,
                                   previous_allowed_mentions=state.allowed_mentions) as params:
        data = await async_context.get().edit_original_interaction_response(
            interaction.application_id, interaction.token, session=interaction._session,
            proxy=state.http.proxy, proxy_auth=state.http.proxy_auth,
            payload=params.payload, multipart=params.multipart, files=params.files)
    if view and not view.is_finished() and view.is_dispatchable():
        state.store_view(view, int(data["id"]))
