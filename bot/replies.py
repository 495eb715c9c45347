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
