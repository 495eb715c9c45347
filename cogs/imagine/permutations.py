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
from bot.jobs.request import ImagineRequest, Prepared
from bot.moderation.refusal import ModerationRefusal
from bot.permutations import Template, check_jobs
from cogs.common.job.confirm import confirmed
from cogs.common.job.part import Part
from cogs.common.job.refusal import AppealButton, send_refusal
from cogs.common.job.result import run_job

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
    if not await confirmed(interaction, total, f"{len(prepared)} variants, {label}"):
        return
    await interaction.edit_original_response(
        content=(f"Making {len(prepared)} variants with {label}, "
                 f"{texts.credits(total)} in all; each is charged on its own and refunded "
                 "if it fails. Each one's progress follows."),
        view=None)
    parts = [Part(p, name, await _status(interaction, name)) for name, p in prepared]
    # At most the member's own limit of these jobs in the queue at once: the rest wait
    # here, so one command never fills the member's queue and refuses its own jobs.
    running = asyncio.Semaphore(max(1, services.settings.MAX_JOBS_PER_MEMBER // request.count))
    await asyncio.gather(*(_run_part(interaction, part, running) for part in parts))


async def _status(interaction: discord.Interaction[FluxBot], variant: str
                  ) -> discord.WebhookMessage:
    """The private message where one variant's progress and outcome are shown."""
    return await interaction.followup.send(
        f"{_named(variant)}: waiting for its turn…", ephemeral=True, wait=True,
        allowed_mentions=NO_MENTIONS)


def _named(variant: str) -> str:
    return f"Variant **{discord.utils.escape_markdown(variant)}**"


async def _run_part(interaction: discord.Interaction[FluxBot], part: Part,
                    running: asyncio.Semaphore) -> None:
    """Runs one variant's job; whatever ends it is said in that variant's message."""
    kwargs: dict[str, Any] = {}
    try:
        async with running:
            await run_job(interaction, part.prepared.request, part)
        return
    except ModerationRefusal as refusal:
        text = refusal.message
        if refusal.appealable and refusal.strike_id is not None:
            view = discord.ui.View(timeout=None)
            view.add_item(AppealButton(refusal.strike_id))
            kwargs["view"] = view
    except UserError as exc:
        text = exc.message
    except Exception:
        log.exception("variant of interaction %s failed", interaction.id)
        text = "Something went wrong on our side. It has been logged; please try again."
    try:
        await part.status.edit(content=f"{_named(part.variant)}: {text}",
                               allowed_mentions=NO_MENTIONS, **kwargs)
    except discord.HTTPException:
        log.warning("could not tell user %s how a variant ended", interaction.user.id)
