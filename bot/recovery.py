"""Start-up recovery: settle or refund every job a crash left in flight.

A job is only ever settled once its image is in the channel. A job that crashed while
posting may or may not have reached Discord, so the channel is asked: a result message
carries the job id in its buttons' custom_ids.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)

HISTORY_LIMIT = 100


async def recover_unfinished_jobs(bot: FluxBot) -> tuple[int, int]:
    """Returns (settled, refunded)."""
    credits = bot.services.credits
    settled = refunded = 0
    for job in await bot.services.records.unfinished_jobs():
        message_id = None
        if job.status == "posting":
            message_id = await find_posted(bot, job.channel_id, job.id)
        if message_id is not None:
            settled += await credits.settle(job.id, message_id)
        else:
            refunded += await credits.refund(job.id, "interrupted by a restart")
    if settled or refunded:
        log.info("recovered jobs after a restart: %d settled, %d refunded", settled, refunded)
    return settled, refunded


async def find_posted(bot: FluxBot, channel_id: int, job_id: str) -> int | None:
    """The id of the result message of `job_id` in the channel, if it got there."""
    channel = bot.get_partial_messageable(channel_id)
    try:
        async for message in channel.history(limit=HISTORY_LIMIT):
            if bot.user is not None and message.author.id != bot.user.id:
                continue
            if any(job_id in custom_id for custom_id in _custom_ids(message)):
                return message.id
    except discord.HTTPException as exc:
        # Unknown: refunding is the side that never charges for an image not received.
        log.warning("could not read channel %s to recover job %s: %s", channel_id, job_id, exc)
    return None


def _custom_ids(message: discord.Message) -> list[str]:
    ids = []
    for row in message.components:
        for child in getattr(row, "children", []):
            custom_id = getattr(child, "custom_id", None)
            if custom_id:
                ids.append(custom_id)
    return ids
