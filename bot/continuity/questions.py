"""An open Confirm question outlives a restart (SPEC section 8): the request it would run
is kept, as the checks resolved it, until the question expires. Nothing is reserved while
it is open, so an expiry or a restart costs nothing; a click after a restart runs the kept
request (checked again, as any job is), once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.jobs.request import Attachment, ImagineRequest
from bot.storage.base import Statements


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """A kept question: whose it is, what it runs and when it stops being answerable."""

    question_id: str
    guild_id: int
    user_id: int
    request: ImagineRequest
    expires_at: float


def encode(request: ImagineRequest) -> str:
    """The request as kept (an image is kept by its link and earlier job, not its bytes)."""
    attachment = request.attachment
    return json.dumps({
        "channel_id": request.channel_id, "prompt": request.prompt, "model": request.model,
        "options": dict(request.options), "seed": request.seed, "count": request.count,
        "board": request.board, "preset": request.preset, "role_ids": list(request.role_ids),
        "appeal_approved": request.appeal_approved,
        "preferences_applied": request.preferences_applied, "source": request.source,
        "attachment": None if attachment is None else {
            "url": attachment.url, "filename": attachment.filename,
            "content_type": attachment.content_type, "size": attachment.size,
            "kept_job": attachment.kept_job},
    })


def decode(guild_id: int, user_id: int, text: str) -> ImagineRequest:
    """The kept request, final as the checks resolved it (`frozen`)."""
    data: dict[str, Any] = json.loads(text)
    kept = data["attachment"]
    return ImagineRequest(
        guild_id=guild_id, channel_id=int(data["channel_id"]), user_id=user_id,
        prompt=str(data["prompt"]), model=data["model"], options=dict(data["options"]),
        seed=data["seed"], count=int(data["count"]), board=data["board"],
        preset=data["preset"], role_ids=tuple(int(r) for r in data["role_ids"]),
        appeal_approved=bool(data["appeal_approved"]),
        preferences_applied=bool(data["preferences_applied"]),
        # None in a question kept before this field was.
        source=data.get("source"),
        attachment=None if kept is None else Attachment(
            url=str(kept["url"]), filename=str(kept["filename"]),
            content_type=kept["content_type"], size=int(kept["size"]),
            kept_job=kept["kept_job"]),
        frozen=True,
    )


async def keep(tx: Statements, question: OpenQuestion) -> None:
    """Keeps an open question."""
    await tx.execute(
        "INSERT INTO open_questions (question_id, guild_id, user_id, request, expires_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (question_id) DO NOTHING",
        question.question_id, question.guild_id, question.user_id,
        encode(question.request), question.expires_at)


async def find(tx: Statements, question_id: str) -> OpenQuestion | None:
    """The open question, or None (answered, or never kept)."""
    row = await tx.fetchrow(
        "SELECT guild_id, user_id, request, expires_at FROM open_questions "
        "WHERE question_id = $1", question_id)
    if row is None:
        return None
    return OpenQuestion(question_id, row[0], row[1], decode(row[0], row[1], row[2]), row[3])


async def close(tx: Statements, question_id: str) -> bool:
    """Closes the question; True for the one caller that closed it (a double click, or
    two processes, run it once)."""
    return await tx.execute(
        "DELETE FROM open_questions WHERE question_id = $1", question_id) > 0


async def prune(tx: Statements, now: float) -> int:
    """Drops the questions that expired; how many."""
    return await tx.execute("DELETE FROM open_questions WHERE expires_at < $1", now)
