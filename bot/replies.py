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
from discord.http import handle_message_parameters
from discord.utils import MISSING
from discord.webhook.async_ import async_context

from bot.i18n import Text, render


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
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)


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
