"""/imagine with `{a, b}` groups: one job per combination (SPEC section 2).

Every combination is checked before anything is charged (a refusal of one refuses the
command: nothing has been reserved yet), the whole cost is shown once and confirmed once,
then each job is reserved, queued, run and refunded on its own, answering in its own
private message. The rules of the groups are in bot/permutations.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot import texts
from bot.errors import UserError
from bot.i18n import Text, join, render, tr, trn
from bot.jobs.request import ImagineRequest, Prepared
from bot.moderation.refusal import ModerationRefusal
from bot.permutations import Template, check_jobs
from cogs.common.component import NOT_HERE
from cogs.common.job.confirm import cost_question
from cogs.common.job.part import Part, variant_heading
from cogs.common.job.refusal import AppealButton, send_refusal
from cogs.common.job.result import run_job
from cogs.common.language import member_language

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


async def run_permutations(interaction: discord.Interaction[FluxBot], request: ImagineRequest,
                           template: Template) -> None:
    """Runs one job per combination of `template` for an already deferred interaction
    whose `request` carries the prompt as typed."""
    services = interaction.client.services
    check_jobs(template, request.count, services.settings.MAX_PERMUTATIONS)
    variants = list(template.variants())
    prepared: list[tuple[str, Prepared]] = []
    try:
        for variant in variants:
            one = dataclasses.replace(request, prompt=variant.prompt)
            prepared.append((variant.label, await services.jobs.prepare(one)))
    except ModerationRefusal as refusal:
        await send_refusal(interaction, refusal)
        return
    total = sum(p.cost for _, p in prepared)
    label = prepared[0][1].model.label
    what = trn("{n} variant, {model}", "{n} variants, {model}", len(prepared), model=label)
    if (total > services.settings.CONFIRM_ABOVE
            and not await cost_question(interaction)(total, what)):
        return
    await interaction.edit_original_response(
        content=trn("Making {n} variant with {model}, {credits} in all; each is charged on "
                    "its own and refunded if it fails. Each one's progress follows.",
                    "Making {n} variants with {model}, {credits} in all; each is charged on "
                    "its own and refunded if it fails. Each one's progress follows.",
                    len(prepared), model=label, credits=texts.credits(total)
                    ).render(member_language(interaction)),
        view=None)
    parts = [Part(p, name, await _status(interaction, name)) for name, p in prepared]
    # At most the member's own limit of these jobs in the queue at once: the rest wait
    # here, so one command never fills the member's queue and refuses its own jobs.
    running = asyncio.Semaphore(max(1, services.settings.MAX_JOBS_PER_MEMBER // request.count))
    await asyncio.gather(*(_run_part(interaction, part, n, running)
                           for n, part in enumerate(parts)))


async def _status(interaction: discord.Interaction[FluxBot], variant: str
                  ) -> discord.WebhookMessage:
    """The private message where one variant's progress and outcome are shown."""
    return await interaction.followup.send(
        tr("{heading}: waiting for its turn…", heading=variant_heading(variant)
           ).render(member_language(interaction)), ephemeral=True, wait=True,
        allowed_mentions=NO_MENTIONS)


async def _run_part(interaction: discord.Interaction[FluxBot], part: Part, number: int,
                    running: asyncio.Semaphore) -> None:
    """Runs one variant's job; whatever ends it is said in that variant's message."""
    kwargs: dict[str, Any] = {}
    text: str | Text
    try:
        if not await _turn(interaction, part, number, running):
            return  # cancelled while it waited here; the button's answer said so
        try:
            await run_job(interaction, part.prepared.request, part)
        finally:
            running.release()
        return
    except ModerationRefusal as refusal:
        text = refusal.message
        if refusal.appealable and refusal.strike_id is not None:
            view = discord.ui.View(timeout=None)
            view.add_item(AppealButton(refusal.strike_id, member_language(interaction)))
            kwargs["view"] = view
    except UserError as exc:
        text = exc.message
    except Exception:
        log.exception("variant of interaction %s failed", interaction.id)
        text = tr("Something went wrong on our side. It has been logged; please try again.")
    try:
        await part.status.edit(content=join((part.heading, ": ", text)).render(
                                   member_language(interaction)),
                               allowed_mentions=NO_MENTIONS, **kwargs)
    except discord.HTTPException:
        log.warning("could not tell user %s how a variant ended", interaction.user.id)


async def _turn(interaction: discord.Interaction[FluxBot], part: Part, number: int,
                running: asyncio.Semaphore) -> bool:
    """Waits until the variant may start (holding `running`); False when the member
    pressed Cancel first. Nothing is reserved while it waits here."""
    if not running.locked():
        await running.acquire()
        return True
    lang = member_language(interaction)
    view = _Waiting(interaction.user.id, f"fluxcord:variant-cancel:{interaction.id}:{number}",
                    part.heading, lang)
    await part.status.edit(view=view)
    acquire = asyncio.ensure_future(running.acquire())
    cancel = asyncio.ensure_future(view.cancelled.wait())
    try:
        await asyncio.wait({acquire, cancel}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        cancel.cancel()
        if view.cancelled.is_set() or not acquire.done():
            acquire.cancel()
        # Awaited, so a turn granted in the same moment is known and given back.
        await asyncio.gather(acquire, cancel, return_exceptions=True)
    view.stop()
    if view.cancelled.is_set():
        if not acquire.cancelled():
            running.release()
        return False
    await part.status.edit(content=tr("{heading}: starting…", heading=part.heading
                                      ).render(lang), view=None,
                           allowed_mentions=NO_MENTIONS)
    return True


class _Waiting(discord.ui.View):
    """Cancel, on a variant waiting for the member's earlier ones (the requester only).
    It lives only in memory, like the cost question: a restart ends the command anyway."""

    def __init__(self, user_id: int, custom_id: str, name: Text, lang: str) -> None:
        super().__init__(timeout=None)
        self.user_id = user_id
        self.name = name
        self.lang = lang
        self.cancelled = asyncio.Event()
        self.cancel.custom_id = custom_id
        self.cancel.label = tr("Cancel").render(lang)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.user_id:
            return True
        await interaction.response.send_message(render(NOT_HERE, member_language(interaction)),
                                                ephemeral=True)
        return False

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any],
                     button: discord.ui.Button[Any]) -> None:
        self.cancelled.set()
        self.stop()
        await interaction.response.edit_message(
            content=tr("{heading}: cancelled; nothing was charged.", heading=self.name
                       ).render(self.lang), view=None,
            allowed_mentions=NO_MENTIONS)
