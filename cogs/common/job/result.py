"""A job from the Discord side: run it with progress, then the result message's Reroll /
Edit / Delete buttons (its embed is in `cogs.common.job.embed`; the buttons of other
features come through `cogs.common.job.rows`).

/imagine and the buttons both start jobs through `run_job`. The buttons are DynamicItems
whose custom_id carries the job id, and the job lives in the database, so they keep
working after the bot restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot import mentions, texts
from bot.catalogue import PROMPT_MAX
from bot.client import report_error
from bot.errors import UserError
from bot.i18n import SOURCE, Text, catalogue, tr
from bot.jobs.ports import JobUI
from bot.jobs.request import (
    ImagineRequest,
    Progress,
    ReplyRef,
    attachment_from_stored,
    references_from_stored,
)
from bot.jobs.resume import LeftForRestart
from bot.moderation.refusal import ModerationRefusal
from bot.providers.base import GeneratedImage
from bot.replies import defer_private, reply
from cogs.common.admin_log import log_event, report_budget
from cogs.common.component import (
    JOB,
    JobChecked,
    admit_job,
    job_here,
    modal_ids,
    modal_values,
    submitted_modal,
)
from cogs.common.context import request_here
from cogs.common.job.confirm import cost_question
from cogs.common.job.count import name_seeds
from cogs.common.job.delivery import fit_upload, post_result
from cogs.common.job.embed import result_embed
from cogs.common.job.part import Part, name_variant
from cogs.common.job.progress import ProgressMessage
from cogs.common.job.refusal import send_refusal
from cogs.common.job.resume import left_text, refunded_text
from cogs.common.job.rows import result_rows
from cogs.common.job.try_again import try_again_view
from cogs.common.language import member_language, server_language
from cogs.common.links import jump_link

if TYPE_CHECKING:
    from bot.client import FluxBot

# How long a stopping bot waits to tell a member their job was refunded.
LAST_WORD_SECONDS = 5.0
# Where Reroll, Edit and Delete stand in the result's first row (cogs.common.job.rows).
REROLL, EDIT, DELETE = 10, 20, 30


async def run_job(interaction: discord.Interaction[FluxBot], request: ImagineRequest,
                  part: Part | None = None, *, confirmed_already: bool = False) -> None:
    """Runs a job for an already deferred interaction, showing its progress privately and
    posting the result publicly. A moderation refusal is answered with its Appeal button.
    A `part` of several jobs was checked and confirmed already; its refusals and failures
    are raised for its own message. `confirmed_already`: the member confirmed its cost (a
    question kept over a restart)."""
    try:
        await _run_job(interaction, request, part, confirmed_already)
    except ModerationRefusal as refusal:
        if part is not None:
            raise
        await send_refusal(interaction, refusal)


async def _run_job(interaction: discord.Interaction[FluxBot], request: ImagineRequest,
                   part: Part | None, confirmed_already: bool) -> None:
    jobs = interaction.client.services.jobs
    if part is not None:
        prepared = part.prepared
        progress = ProgressMessage(interaction, prepared.model.label, part.status, part.heading)
    else:
        prepared = await jobs.prepare(request)
        progress = ProgressMessage(interaction, prepared.model.label)
    # What everyone sees (the embed, the buttons) is in the server's language, read with
    # the job's settings.
    lang = (catalogue(prepared.language) if prepared.language is not None
            else await server_language(interaction))

    async def deliver(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
        image = images[0]
        # "Thinking" must be over before the post: most often the job's first edit ended
        # it while the provider worked; else said now (a failed upload then replaces it
        # with the reason), while the upload and its embed are made.
        answering = progress.before_posting(
            tr("Done: your image is in the channel (seed {seed}).", seed=image.seed))
        try:
            uploads = [await fit_upload(interaction, job_id, made, prepared.model)
                       for made in images]
            upload = uploads[0]
            notes = (*prepared.notes, *image.notes, *(u.note for u in uploads if u.note))
            embed = result_embed(prepared.model, prepared.request, job_id, image,
                                 prepared.cost, balance, notes, lang)
            name_seeds(embed, images, lang)
            if part is not None:
                name_variant(embed, part.variant, lang)
            embed.set_image(url=f"attachment://{upload.filename}")  # shown inside the embed
            embed.set_author(name=interaction.user.display_name,
                             icon_url=interaction.user.display_avatar.url)
        except BaseException:
            answering.cancel()
            raise
        answered = await answering
        message = await post_result(
            interaction, channel_id=request.channel_id, user_id=request.user_id,
            upload=upload, embed=embed, view=result_view(interaction.client, job_id, lang),
            through_interaction=answered, more=uploads[1:],
        )
        # discord.py's jump_url says @me for a followup, whose guild it does not resolve.
        link = jump_link(request.guild_id, message.channel.id, message.id)
        done.append(tr("Done: {link} (seed {seed}). You have {credits} left.",
                       link=link, seed=image.seed, credits=texts.credits(balance)))
        return message.id

    done: list[Text] = []
    reserved: list[str] = []  # the job's id, once it has one

    async def on_progress(state: Progress) -> None:
        if state.job_id and not reserved:
            reserved.append(state.job_id)
        await progress.update(state)

    # Kept as resolved, so a Confirm clicked after a restart runs just this.
    kept = dataclasses.replace(prepared.request, model=prepared.model.id, seed=prepared.seed,
                               frozen=True)
    question = cost_question(interaction, kept)
    asking = False  # while the cost question waits for the member's answer

    async def confirm(cost: int, what: str) -> bool:
        nonlocal asking
        if part is not None or confirmed_already:
            return True  # the whole command's cost was confirmed once, or before a restart
        asking = True
        try:
            return await question(cost, what)
        finally:
            asking = False

    # Kept with the job, so a restarted bot can still answer through this interaction.
    reply = ReplyRef(interaction.application_id, interaction.token,
                     interaction.expires_at.timestamp())
    try:
        if not await jobs.run(prepared, JobUI(on_progress, deliver, reply, confirm)):
            return  # not confirmed: the question says so
    except LeftForRestart:
        # Still at the provider, which was paid: the next start posts the image.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(progress.finish(left_text(prepared.cost)),
                                   LAST_WORD_SECONDS)
        raise
    except asyncio.CancelledError:
        if asking:  # stopped before the member answered: nothing was reserved
            raise
        # Only a stop cancels a job, and the job has been refunded by now: say so while
        # Discord is still reachable, instead of leaving "Generating…" up for good.
        view = try_again_view(reserved[0], member_language(interaction)) if reserved else None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(progress.finish(refunded_text(prepared.cost), view),
                                   LAST_WORD_SECONDS)
        raise
    finally:
        await progress.halt()  # an edit on its way lands before what is said next
    if done:  # settled: the last word links to the image
        await progress.finish(done[0])
        await report_budget(interaction.client, request.guild_id, prepared.log_channel)


def result_view(bot: discord.Client, job_id: str, lang: str = SOURCE) -> discord.ui.View:
    """The buttons under job `job_id`'s result: Reroll, Edit and Delete, and those the
    feature cogs add (`cogs.common.job.rows`), each in its place, labelled in the server's
    language `lang`."""
    return result_rows(bot).view(job_id, lang)


def add_result_buttons(bot: discord.Client) -> None:
    """Puts Reroll, Edit and Delete first under every result of `bot`."""
    rows = result_rows(bot)
    rows.add("reroll", RerollButton, position=REROLL)
    rows.add("edit", EditButton, position=EDIT)
    rows.add("delete", DeleteButton, position=DELETE)


async def stored_request(
    interaction: discord.Interaction[FluxBot], job_id: str, *, prompt: str | None = None,
    keep_seed: bool = False,
) -> ImagineRequest:
    # Also for a select's value, which a client may send for any job.
    job = await job_here(interaction, job_id)
    if prompt is None and not job.prompt:
        raise UserError(tr("This image's prompt was erased, so it cannot be made again. "
                           "Use /imagine with a new prompt."))
    options = dict(job.options)
    attachment = attachment_from_stored(options, job.id)
    references = references_from_stored(options)  # /blend's, in their order
    options.pop("image", None)
    options.pop("references", None)
    count = int(options.pop("count", 1))  # Reroll makes as many images again
    request = request_here(interaction, prompt if prompt is not None else job.prompt,
                           model=job.model, options=options, attachment=attachment,
                           seed=job.seed if keep_seed else None, count=count,
                           channel_id=job.channel_id, source=job.id)
    return dataclasses.replace(request, references=references) if references else request


def _button(action: str, job_id: str, label: Text, style: discord.ButtonStyle,
            emoji: str, lang: str) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=label.render(lang), style=style, custom_id=f"fluxcord:{action}:{job_id}", emoji=emoji
    )


class RerollButton(
    JobChecked, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fluxcord:reroll:" + JOB
):
    """Same prompt and options, a new seed; charged again to whoever clicks."""

    def __init__(self, job_id: str, lang: str = SOURCE) -> None:
        super().__init__(_button("reroll", job_id, tr("Reroll"), discord.ButtonStyle.primary,
                                 "🎲", lang))
        self.job_id = job_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        await defer_private(interaction)
        try:
            await run_job(interaction, await stored_request(interaction, self.job_id))
        except Exception as exc:
            await report_error(interaction, exc)


class EditButton(
    JobChecked, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fluxcord:edit:" + JOB
):
    """Opens a modal to change the prompt; the rest (seed included) stays."""

    def __init__(self, job_id: str, lang: str = SOURCE) -> None:
        super().__init__(_button("edit", job_id, tr("Edit"), discord.ButtonStyle.secondary,
                                 "✏️", lang))
        self.job_id = job_id

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        await interaction.response.send_modal(
            EditPrompt(self.job_id, self.job.prompt, interaction.id,
                       catalogue(interaction.locale)))


class EditPrompt(discord.ui.Modal):
    """Asks for the new prompt.

    Its custom_id names the job and this opening, so two members editing one image each
    get their own. The submit is answered by `answer_edit_submit` from that id and the
    submitted text alone, so it needs nothing kept in memory and works after a restart.
    """

    def __init__(self, job_id: str, prompt: str, opening_id: int, lang: str = SOURCE) -> None:
        super().__init__(title=tr("Edit the prompt").render(lang),
                         custom_id=f"fluxcord:edit-modal:{job_id}:{opening_id}", timeout=None)
        self.add_item(discord.ui.TextInput(
            label=tr("Prompt").render(lang), style=discord.TextStyle.paragraph,
            default=prompt[:PROMPT_MAX],
            max_length=PROMPT_MAX, custom_id="prompt",
        ))
        self.stop()  # finished before it is sent: discord.py then keeps no copy of it


EDIT_SUBMIT = modal_ids(r"fluxcord:edit-modal:" + JOB + r"(?::[0-9]{1,20})?")


async def answer_edit_submit(interaction: discord.Interaction[FluxBot]) -> bool:
    """Runs the edit an Edit modal asked for; False when `interaction` is not one."""
    match = submitted_modal(interaction, EDIT_SUBMIT)
    if match is None:
        return False
    if await admit_job(interaction, match["job"]) is None:
        return True  # refused, and told so
    data: Any = interaction.data or {}
    await defer_private(interaction)
    try:
        prompt = edited_prompt(data.get("components", []))
        request = await stored_request(interaction, match["job"], prompt=prompt,
                                        keep_seed=True)
        await run_job(interaction, request)
    except Exception as exc:
        await report_error(interaction, exc)
    return True


def edited_prompt(components: list[Any]) -> str:
    """The Edit modal's new prompt; a UserError when it is empty or longer than the
    modal allows (a client may send anything)."""
    prompt = modal_values(components).get("prompt", "").strip()
    if not prompt:
        raise UserError(tr("The prompt cannot be empty. Press Edit again."))
    if len(prompt) > PROMPT_MAX:
        raise UserError(tr("The prompt can be at most {max} characters. Press Edit again.",
                           max=PROMPT_MAX))
    return prompt


class DeleteButton(
    JobChecked, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fluxcord:delete:" + JOB
):
    """Removes the image: its requester, or a member with Manage Messages."""

    def __init__(self, job_id: str, lang: str = SOURCE) -> None:
        super().__init__(_button("delete", job_id, tr("Delete"), discord.ButtonStyle.danger,
                                 "🗑️", lang))
        self.job_id = job_id

    deleted_ok = True  # a second Delete is told so
    anywhere = True  # removing an image generates nothing: allowed wherever it was posted

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        # Every click gets an answer: a second click, or one on a message someone else
        # just removed, is told so instead of being left "thinking".
        try:
            await self._delete(interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    async def _delete(self, interaction: discord.Interaction[FluxBot]) -> None:
        requester = self.job.user_id
        if interaction.user.id != requester and not interaction.permissions.manage_messages:
            raise UserError(tr(
                "Only the member who asked for this image, or someone with Manage Messages, "
                "can delete it."
            ))
        await defer_private(interaction)
        # Recorded with the job first, so every button, select and modal of this result
        # (also one already open) refuses from now on, after a restart too, even should
        # the message outlive this click; its input image goes. A message left behind
        # (Discord failed to delete it) goes at the next click.
        await interaction.client.services.records.delete_result(self.job_id)
        removed = False
        try:
            if interaction.message is not None:
                await interaction.message.delete()
                removed = True
        except discord.NotFound:
            pass  # someone removed it meanwhile
        if not removed:
            await reply(interaction, tr("That image is already deleted."))
            return
        await reply(interaction, tr("Deleted."))
        if interaction.user.id != requester:
            await log_event(interaction.client, interaction.guild_id,
                            tr("{admin} deleted an image by {member} in {channel}.",
                               admin=interaction.user.mention, member=mentions.member(requester),
                               channel=mentions.channel(interaction.channel_id or 0)))
