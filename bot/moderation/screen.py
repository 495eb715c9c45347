"""Moderation as a screen of every job: the member's standing and the blocklists before
any charge, a strike when a provider refuses a prompt as moderated. A refused request is
kept frozen as JSON, so an approved appeal runs exactly what the moderators saw."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from bot.errors import UserError
from bot.jobs.request import (
    Attachment,
    ImagineRequest,
    references_from_stored,
    storable,
)
from bot.moderation.refusal import Subject
from bot.moderation.service import Moderation, ScreenRows, screen_rule
from bot.storage import Rule


class ModerationScreen:
    """The moderation service, as the job sees it."""

    def __init__(self, moderation: Moderation) -> None:
        self._moderation = moderation

    def settings_rule(self, request: ImagineRequest) -> Rule[ScreenRows]:
        """The server's blocklist, the member's record and the server's review channel."""
        return screen_rule(request.guild_id, request.user_id)

    async def screen(self, request: ImagineRequest, model: str, found: ScreenRows | None
                     ) -> None:
        """Raises ModerationRefusal when the member may not generate here or the prompt
        is on a blocklist."""
        await self._moderation.screen(moderation_subject(request, model), found)

    async def provider_refused(self, request: ImagineRequest, model: str, message: str
                               ) -> UserError | None:
        """The strike recorded, and the refusal (with its Appeal) to raise."""
        return await self._moderation.provider_refused(moderation_subject(request, model),
                                                       message)


def moderation_subject(request: ImagineRequest, model: str) -> Subject:
    """What the moderation check needs of a resolved request, with the request frozen as
    JSON so an approved appeal runs exactly it (`request_from_subject`)."""
    return Subject(request.guild_id, request.user_id, request.channel_id, request.prompt,
                   model, frozen_request(request, model),
                   check_blocklist=not request.appeal_approved)


def frozen_request(request: ImagineRequest, model: str) -> dict[str, Any]:
    """A resolved request as JSON: its final prompt, model and options, with the input
    image as its reference (no bytes)."""
    stored = {f.name: getattr(request, f.name) for f in dataclasses.fields(ImagineRequest)}
    stored.update(model=model, options=dict(request.options), role_ids=list(request.role_ids),
                  frozen=True)
    attachment = request.attachment
    if attachment is not None:
        stored["attachment"] = {"url": attachment.url, "filename": attachment.filename,
                                "content_type": attachment.content_type,
                                "size": attachment.size, "kept_job": attachment.kept_job}
    # /blend's references, as the job row keeps them (no bytes).
    stored["references"] = storable({}, None, references=request.references
                                    ).get("references", [])
    return stored


def request_from_subject(stored: Mapping[str, Any]) -> ImagineRequest:
    """The request a strike kept, approved: it runs as it was frozen when refused (its
    preset, board and preferences are not applied again), without the blocklist check."""
    values = {f.name: stored[f.name] for f in dataclasses.fields(ImagineRequest)
              if f.name in stored}
    attachment = values.get("attachment")
    if isinstance(attachment, dict):
        values["attachment"] = Attachment(**attachment)
    values["role_ids"] = tuple(values.get("role_ids", ()))
    values["references"] = references_from_stored(values)
    # A strike's request was always stored resolved, also before it said so.
    values.update(appeal_approved=True, frozen=True)
    return ImagineRequest(**values)
