"""What storage offers for a member's own data (SPEC section 13): everything kept about
them, read in one snapshot, and their erasure, in one transaction.

Every statement is written once, for both engines (`bot.storage.base.Statements`).

A prompt that was erased is the empty string: the column stays NOT NULL, and every
reader that shows prompts (/history, the prompt autocomplete, exports) skips it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.i18n import tr
from bot.storage.base import Statements

ERASED = ""
ERASED_OPTIONS = "{}"

# What an export holds, part by part: the statement (its one parameter is the member's
# id) and the short description the export's header gives. Image bytes stay out.
EXPORT_PARTS: dict[str, tuple[str, str]] = {
    "balances": (
        "SELECT guild_id, period_start, spent, bonus FROM members WHERE user_id = $1 "
        "ORDER BY guild_id",
        tr("Your credit state per server: the allowance spent in the current period (which "
           "started at period_start, epoch seconds) and your bonus credits.")),
    "ledger": (
        "SELECT guild_id, created_at, bucket, delta, reason, job_id, actor_id FROM ledger "
        "WHERE user_id = $1 ORDER BY id",
        tr("Every change of your balances: when, which bucket, how much, why, for which job, "
           "and who made it when it was a server admin.")),
    "jobs": (
        "SELECT id, guild_id, channel_id, model, prompt, options, seed, cost, status, "
        "provider, message_id, error, created_at FROM jobs WHERE user_id = $1 "
        "ORDER BY created_at",
        tr("Every image job you started: prompt, options, model, seed, cost, outcome, and the "
           "message it was posted in. An empty prompt was erased.")),
    "presets": (
        "SELECT guild_id, name, options, created_at FROM presets WHERE user_id = $1 "
        "ORDER BY guild_id, name_key",
        tr("Your named presets (/preset), per server.")),
    "preferences": (
        "SELECT guild_id, prefs, updated_at FROM preferences WHERE user_id = $1 "
        "ORDER BY guild_id",
        tr("Your defaults (/preferences), per server.")),
    "strikes": (
        "SELECT id, guild_id, channel_id, kind, reason, prompt, request, created_at "
        "FROM strikes WHERE user_id = $1 ORDER BY created_at",
        tr("Prompts moderation refused: the rule that refused them and the request.")),
    "appeals": (
        "SELECT strike_id, guild_id, channel_id, kind, reason, prompt, request, state, "
        "created_at, decided_at FROM appeals WHERE user_id = $1 ORDER BY created_at",
        tr("Your appeals of refusals and how they were decided.")),
    "standing": (
        "SELECT guild_id, pardoned_at, blocked_at, block_reason FROM member_standing "
        "WHERE user_id = $1 ORDER BY guild_id",
        tr("Moderators' pardons and blocks of you, per server.")),
    "board_items": (
        "SELECT b.guild_id, b.name AS board, i.number, i.job_id, i.prompt, i.model, i.seed, "
        "i.author_id, i.added_by, i.link, i.added_at FROM board_items i "
        "JOIN boards b ON b.id = i.board_id WHERE i.author_id = $1 OR i.added_by = $1 "
        "ORDER BY i.added_at",
        tr("Moodboard items whose image you made or that you added to a board.")),
    "input_images": (
        "SELECT i.job_id, i.filename, i.content_type, i.created_at FROM job_inputs i "
        "JOIN jobs j ON j.id = i.job_id WHERE j.user_id = $1 ORDER BY i.created_at",
        tr("Images you gave a job as input, kept for Reroll and Edit for a few days (the "
           "files themselves are not in this export).")),
}

# The erasure, first the reads of what Discord must be told afterwards, then the writes.
SERVERS = (
    "SELECT guild_id FROM members WHERE user_id = $1 "
    "UNION SELECT guild_id FROM jobs WHERE user_id = $1 "
    "UNION SELECT guild_id FROM presets WHERE user_id = $1 "
    "UNION SELECT guild_id FROM preferences WHERE user_id = $1 "
    "UNION SELECT guild_id FROM strikes WHERE user_id = $1 "
    "UNION SELECT b.guild_id FROM board_items i JOIN boards b ON b.id = i.board_id "
    "WHERE i.added_by = $1 OR i.author_id = $1")
REVIEW_POSTS = (
    "SELECT a.guild_id, c.review_channel_id, a.review_message_id FROM appeals a "
    "JOIN moderation_config c ON c.guild_id = a.guild_id WHERE a.user_id = $1 "
    "AND a.review_message_id IS NOT NULL AND c.review_channel_id IS NOT NULL "
    "AND a.prompt <> ''")
BOARD_POSTS = (
    "SELECT b.guild_id, b.thread_id, i.message_id FROM board_items i "
    "JOIN boards b ON b.id = i.board_id WHERE i.added_by = $1 AND i.message_id IS NOT NULL")
# Their images that others added to a board: the posts stay, without the prompt.
AUTHORED_POSTS = (
    "SELECT b.guild_id, b.thread_id, i.message_id FROM board_items i "
    "JOIN boards b ON b.id = i.board_id WHERE i.author_id = $1 AND i.added_by <> $1 "
    "AND i.message_id IS NOT NULL AND i.prompt <> ''")
ERASE: tuple[str, ...] = (
    "DELETE FROM job_inputs WHERE job_id IN (SELECT id FROM jobs WHERE user_id = $1)",
    "UPDATE jobs SET prompt = '', options = '{}', error = NULL WHERE user_id = $1 "
    "AND (prompt <> '' OR options <> '{}' OR error IS NOT NULL)",
    "DELETE FROM presets WHERE user_id = $1",
    "DELETE FROM preferences WHERE user_id = $1",
    "UPDATE strikes SET prompt = '', request = '{}' WHERE user_id = $1 AND prompt <> ''",
    "UPDATE appeals SET prompt = '', request = '{}' WHERE user_id = $1 AND prompt <> ''",
    "DELETE FROM board_items WHERE added_by = $1",
    # Their image on someone else's board stays that member's item, without the prompt.
    "UPDATE board_items SET prompt = '' WHERE author_id = $1 AND prompt <> ''",
)


RETENTION_DAYS = "SELECT days FROM retention WHERE guild_id = $1"
SET_RETENTION = ("INSERT INTO retention (guild_id, days) VALUES ($1, $2) "
                 "ON CONFLICT (guild_id) DO UPDATE SET days = excluded.days")
CLEAR_RETENTION = "DELETE FROM retention WHERE guild_id = $1"
RETENTIONS = "SELECT guild_id, days FROM retention"
# Prompts and job details older than $1 (in server $2 when a statement names one). A job
# still running keeps them until it is finished; the ledger is never touched.
_IN_SERVER = " AND guild_id = $2"
EXPIRE: tuple[str, ...] = (
    "UPDATE jobs SET prompt = '', options = '{}', error = NULL WHERE created_at < $1 "
    "AND status IN ('settled', 'refunded') "
    "AND (prompt <> '' OR options <> '{}' OR error IS NOT NULL)",
    "UPDATE strikes SET prompt = '', request = '{}' WHERE created_at < $1 AND prompt <> ''",
    "UPDATE appeals SET prompt = '', request = '{}' WHERE created_at < $1 "
    "AND state <> 'pending' AND prompt <> ''",
)


def expire_statements(in_server: bool) -> tuple[str, ...]:
    """`EXPIRE`, for every server or (`in_server`) for the one given as $2."""
    if not in_server:
        return EXPIRE
    return tuple(s.replace(" WHERE created_at < $1", " WHERE created_at < $1" + _IN_SERVER)
                 for s in EXPIRE)


@dataclass(frozen=True, slots=True)
class Post:
    """A message the bot posted in a server (`channel_id` may be a thread)."""

    guild_id: int
    channel_id: int
    message_id: int


@dataclass(slots=True)
class Erased:
    """What an erasure touched: the servers it concerned, and the messages of the member's
    prompts and board items the bot must now edit or delete on Discord: the review
    channel's posts, their board items, and the posts of their images others added."""

    servers: list[int] = field(default_factory=list)
    review_posts: list[Post] = field(default_factory=list)
    board_posts: list[Post] = field(default_factory=list)  # to delete
    authored_posts: list[Post] = field(default_factory=list)  # to edit


async def member_data(tx: Statements, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of `EXPORT_PARTS`, part by part, each row as column -> value."""
    return {part: await tx.fetchnamed(statement, user_id)
            for part, (statement, _about) in EXPORT_PARTS.items()}


async def erase_member(tx: Statements, user_id: int) -> Erased:
    """Erases what `ERASE` names for the member, in every server; returns what the bot
    must still do on Discord. Running it again finds nothing more to erase."""

    async def posts(statement: str) -> list[Post]:
        return [Post(*row) for row in await tx.fetch(statement, user_id)]

    servers = sorted(row[0] for row in await tx.fetch(SERVERS, user_id))
    erased = Erased(servers, await posts(REVIEW_POSTS), await posts(BOARD_POSTS),
                    await posts(AUTHORED_POSTS))
    for statement in ERASE:
        await tx.execute(statement, user_id)
    return erased


async def retention(tx: Statements, guild_id: int) -> int | None:
    """The server's own retention in days, or None when it set none."""
    days = await tx.fetchval(RETENTION_DAYS, guild_id)
    return int(days) if days is not None else None


async def set_retention(tx: Statements, guild_id: int, days: int | None) -> None:
    """Sets the server's retention (None: back to the operator's maximum)."""
    if days is None:
        await tx.execute(CLEAR_RETENTION, guild_id)
    else:
        await tx.execute(SET_RETENTION, guild_id, days)


async def retentions(tx: Statements) -> dict[int, int]:
    """Every server's own retention in days."""
    return {row[0]: row[1] for row in await tx.fetch(RETENTIONS)}


async def expire(tx: Statements, before: float, guild_id: int | None = None) -> int:
    """Erases prompts and job details older than `before` (epoch seconds), in one server
    or (None) in all; returns how many rows it changed."""
    args = (before,) if guild_id is None else (before, guild_id)
    changed = 0
    for statement in expire_statements(guild_id is not None):
        changed += await tx.execute(statement, *args)
    return changed
