"""The `Try again` button under "The bot restarted while making your image": its
custom_id and view. The button's callback is the `TryAgainButton` DynamicItem in
cogs.continuity.cog, which answers a click on this custom_id, also after a restart."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n import SOURCE, tr
from cogs.common.component import JOB

TEMPLATE = r"fluxcord:again:" + JOB


def try_again_button(job_id: str, lang: str = SOURCE) -> discord.ui.Button[Any]:
    """The button of job `job_id`: same options again, as a new job."""
    return discord.ui.Button(label=tr("Try again").render(lang), style=discord.ButtonStyle.primary,
                             custom_id=f"fluxcord:again:{job_id}", emoji="🔁")


def try_again_view(job_id: str, lang: str = SOURCE) -> discord.ui.View:
    """A view holding only the Try again button of job `job_id`."""
    view = discord.ui.View(timeout=None)
    view.add_item(try_again_button(job_id, lang))
    return view
