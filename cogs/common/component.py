"""The one place an id that comes back from Discord is checked.

Buttons, selects and modals carry only ids (a job, an image of it, a board, a strike, a
page), and a client can send any custom_id it likes. So every component that carries one
is a `Checked` DynamicItem (or, for a modal, goes through `admit_job`): the id is parsed
by the item's template, the object is loaded and must belong to the interaction's server
(and to the member where only the requester may act) before the callback runs. A misfit
is answered privately with `NOT_HERE` and changes nothing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord

from bot.client import report_error
from bot.credits.rows import Job
from bot.errors import UserError
from bot.i18n import tr
from bot.jobs.request import DELETED

if TYPE_CHECKING:
    from bot.client import FluxBot

T = TypeVar("T")

NOT_HERE = tr("That is not available here.")
# Parts of the templates: ids are lowercase hex, numbers ASCII digits of bounded length.
JOB = r"(?P<job>[0-9a-f]{32})"
STRIKE = r"(?P<strike>[0-9a-f]{32})"
SNOWFLAKE_MAX = 2**63 - 1  # what both databases store; Discord's ids are below it
PREFIX = "fluxcord:"
# How long a click its message carries may wait for its handler before it is told the
# button ended: well within Discord's 3 s, well beyond a handler's first answer.
UNANSWERED_SECONDS = 2.0
ENDED = tr("This button ended when fluxcord restarted; nothing was charged for it. Use the "
           "command again.")
# The custom_ids of the bot's modals, each answered through `cogs.common.modals`.
_MODALS: list[re.Pattern[str]] = []


class NotHere(UserError):
    """An id that does not fit the interaction: another server's, another member's, or
    one that never existed."""

    def __init__(self) -> None:
        super().__init__(NOT_HERE)


def ascii_number(text: str, low: int, high: int) -> int | None:
    """`text` as a whole number from `low` to `high`, or None: ASCII digits only (no
    signs, spaces inside, or other scripts' digits such as "²" or "٣")."""
    text = text.strip()
    if not text or len(text) > len(str(high)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if low <= number <= high else None


def modal_values(components: list[Any]) -> dict[str, str]:
    """The text inputs of a modal submit by custom_id, in action rows or labels alike
    (anything else a client sends there is ignored)."""
    found: dict[str, str] = {}
    for component in components:
        if not isinstance(component, dict):
            continue
        for child in [*component.get("components", []), component.get("component") or {}]:
            if isinstance(child, dict) and child.get("custom_id"):
                found[str(child["custom_id"])] = str(child.get("value") or "")
    return found


def which_image_input(images: int, lang: str) -> discord.ui.TextInput[Any]:
    """A modal's "which image" field, for a result of `images` images."""
    return discord.ui.TextInput(label=tr("Which image (1-{images})", images=images).render(lang),
                                max_length=1, custom_id="which", default="1")


def image_number(which: str, images: int, button: str) -> int:
    """The "which image" field as a number from 1 to `images` (an empty field: 1);
    anything else is a UserError that says what to type and to press `button` again."""
    if images < 1:
        raise UserError(tr("This result has no image left."))
    number = ascii_number(which, 1, images) if which.strip() else 1
    if number is None:
        raise UserError(tr("Pick an image from 1 to {images}. Press {button} again.",
                           images=images, button=button))
    return number


async def job_here(interaction: discord.Interaction[FluxBot], job_id: str, *,
                   requester_only: bool = False, deleted_ok: bool = False) -> Job:
    """Job `job_id` when it belongs to the interaction's server (a direct message's job:
    to the member), and to the member when `requester_only`; raises NotHere otherwise,
    and a UserError when its result was deleted (unless `deleted_ok`)."""
    job = await interaction.client.services.records.get_job(job_id)
    if job is None or job.guild_id != (interaction.guild_id or 0):
        raise NotHere
    if (requester_only or not job.guild_id) and job.user_id != interaction.user.id:
        raise NotHere
    if job.deleted_at is not None and not deleted_ok:
        raise UserError(DELETED)
    return job


async def admitted(interaction: discord.Interaction[FluxBot],
                   load: Callable[[], Awaitable[T]], *, anywhere: bool = False) -> T | None:
    """What `load` returns, when the interaction may go on here; else None, the member
    having been answered privately (servers only, or why the id does not fit).
    `anywhere`: also in direct messages the operator no longer allows."""
    if not anywhere and not await interaction.client.allowed_here(interaction):
        return None
    try:
        return await load()
    except Exception as exc:  # UserError: a refusal; anything else is logged
        await report_error(interaction, exc)
        return None


async def admit_job(interaction: discord.Interaction[FluxBot], job_id: str, *,
                    requester_only: bool = False) -> Job | None:
    """`job_here` for a modal submit: the job, or None once the refusal is answered."""
    return await admitted(interaction, lambda: job_here(
        interaction, job_id, requester_only=requester_only))


def modal_ids(template: str) -> re.Pattern[str]:
    """The compiled custom_id template of one of the bot's modals, registered so that a
    submit matching none of them is refused (`answer_forged`)."""
    pattern = re.compile(template)
    _MODALS.append(pattern)
    return pattern


def submitted_modal(interaction: discord.Interaction[Any], pattern: re.Pattern[str]
                    ) -> re.Match[str] | None:
    """The match of a modal submit's custom_id against `pattern`; None when the
    interaction is not such a submit."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    data: Any = interaction.data or {}
    return pattern.fullmatch(str(data.get("custom_id", "")))


class Checked:
    """Mixed into every DynamicItem that carries an id, before DynamicItem: its
    `admit` loads and checks the object before the callback runs (discord.py calls
    `interaction_check` first, and skips the callback when it is False)."""

    async def admit(self, interaction: discord.Interaction[FluxBot]) -> None:
        """Loads what the id names and raises NotHere (or another UserError) when it
        does not fit the interaction."""
        raise NotImplementedError

    # True for what generates nothing (Delete): allowed wherever the result was posted.
    anywhere = False

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return await admitted(interaction, lambda: self._admit(interaction),
                              anywhere=self.anywhere) is not None

    async def _admit(self, interaction: discord.Interaction[FluxBot]) -> bool:
        await self.admit(interaction)
        return True


class JobChecked(Checked):
    """A component whose custom_id names a job (`JOB`): the job must be this server's,
    its result not deleted, and the member's own when `requester_only`."""

    job_id: str
    job: Job
    requester_only = False
    deleted_ok = False

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]) -> Any:
        return cls(match["job"])  # type: ignore[call-arg]

    async def admit(self, interaction: discord.Interaction[FluxBot]) -> None:
        self.job = await job_here(interaction, self.job_id,
                                  requester_only=self.requester_only,
                                  deleted_ok=self.deleted_ok)


def on_message(interaction: discord.Interaction[Any], custom_id: str) -> bool:
    """Whether the clicked message carries a component `custom_id`."""
    message = interaction.message
    if message is None:
        return False
    return any(getattr(child, "custom_id", None) == custom_id
               for child in discord.ui.View.from_message(message, timeout=None).children)


async def answer_forged(interaction: discord.Interaction[Any]) -> None:
    """A click with one of the bot's ids that its message does not carry, or a modal
    submit with a custom_id none of the bot's modals has: discord.py drops either
    unanswered, so it is refused here, privately. A click its message does carry, that
    nothing answers within UNANSWERED_SECONDS (a button of a view that lived only in
    memory, shown before a restart), is told so."""
    data: Any = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))
    if not custom_id.startswith(PREFIX):
        return
    if interaction.type is discord.InteractionType.component:
        if not on_message(interaction, custom_id):
            await report_error(interaction, NotHere())
            return
        await asyncio.sleep(UNANSWERED_SECONDS)
        if not interaction.response.is_done():
            await report_error(interaction, UserError(ENDED))
    elif (interaction.type is discord.InteractionType.modal_submit
          and not any(pattern.fullmatch(custom_id) for pattern in _MODALS)):
        await report_error(interaction, NotHere())
