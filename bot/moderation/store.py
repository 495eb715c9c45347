"""What the moderation tables hold, as rows, and every statement on them, written once
for both engines."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.storage.base import Statements

StrikeKind = Literal["blocklist", "provider"]
AppealState = Literal["pending", "approved", "rejected"]


@dataclass(frozen=True, slots=True)
class StrikeRow:
    """A refused prompt. `request` is the refused job's model, options and place, as JSON."""

    id: str
    guild_id: int
    user_id: int
    channel_id: int
    kind: StrikeKind
    reason: str
    prompt: str
    request: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class StandingRow:
    """A member's pardon and block in one server (all None when there is neither)."""

    guild_id: int
    user_id: int
    pardoned_at: float | None = None
    blocked_at: float | None = None
    block_reason: str | None = None
    blocked_by: int | None = None


@dataclass(frozen=True, slots=True)
class AppealRow:
    """An appeal of strike `strike_id`, with a copy of the strike."""

    strike_id: str
    guild_id: int
    user_id: int
    channel_id: int
    kind: StrikeKind
    reason: str
    prompt: str
    request: dict[str, Any]
    state: AppealState
    decided_by: int | None
    review_message_id: int | None
    created_at: float
    decided_at: float | None = None


# The columns both engines read, in the order of `StrikeRow` and `AppealRow`.
STRIKE_SELECT = "id, guild_id, user_id, channel_id, kind, reason, prompt, request, created_at"
APPEAL_SELECT = ("strike_id, guild_id, user_id, channel_id, kind, reason, prompt, request, "
                 "state, decided_by, review_message_id, created_at, decided_at")


def strike_row(row: Any) -> StrikeRow:
    """A `StrikeRow` from a row of STRIKE_SELECT (its request is stored as JSON)."""
    values = list(row)
    values[7] = json.loads(values[7])
    return StrikeRow(*values)


def appeal_row(row: Any) -> AppealRow:
    """An `AppealRow` from a row of APPEAL_SELECT (its request is stored as JSON)."""
    values = list(row)
    values[7] = json.loads(values[7])
    return AppealRow(*values)


async def blocklist_entries(tx: Statements, guild_id: int) -> list[str]:
    """The server's entries as they were written, oldest first."""
    rows = await tx.fetch(
        "SELECT entry FROM blocklist_entries WHERE guild_id = $1 ORDER BY created_at, key",
        guild_id)
    return [r[0] for r in rows]


async def add_blocklist_entry(tx: Statements, guild_id: int, key: str, entry: str,
                              added_by: int | None, now: float) -> bool:
    """Adds an entry; False when one with the same key is already there."""
    changed = await tx.execute(
        "INSERT INTO blocklist_entries (guild_id, key, entry, added_by, created_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guild_id, key) DO NOTHING",
        guild_id, key, entry, added_by, now)
    return changed == 1


async def remove_blocklist_entry(tx: Statements, guild_id: int, key: str) -> str | None:
    """Removes the entry with `key`; returns it as written, or None if absent."""
    value: str | None = await tx.fetchval(
        "DELETE FROM blocklist_entries WHERE guild_id = $1 AND key = $2 RETURNING entry",
        guild_id, key)
    return value


async def add_strike(tx: Statements, strike: StrikeRow) -> None:
    """Records a strike."""
    await tx.execute(
        f"INSERT INTO strikes ({STRIKE_SELECT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        strike.id, strike.guild_id, strike.user_id, strike.channel_id, strike.kind,
        strike.reason, strike.prompt, json.dumps(strike.request), strike.created_at)


async def strike(tx: Statements, strike_id: str) -> StrikeRow | None:
    """One strike, or None (never recorded, or removed by an approved appeal)."""
    row = await tx.fetchrow(f"SELECT {STRIKE_SELECT} FROM strikes WHERE id = $1",
                            strike_id)
    return strike_row(row) if row else None


async def member_strikes(tx: Statements, guild_id: int, user_id: int) -> list[StrikeRow]:
    """The member's strikes in the server, oldest first."""
    rows = await tx.fetch(
        f"SELECT {STRIKE_SELECT} FROM strikes WHERE guild_id = $1 AND user_id = $2 "
        "ORDER BY created_at", guild_id, user_id)
    return [strike_row(r) for r in rows]


async def delete_strike(tx: Statements, strike_id: str) -> bool:
    """Removes a strike; False when it was not there."""
    changed = await tx.execute("DELETE FROM strikes WHERE id = $1", strike_id)
    return changed == 1


async def member_standing(tx: Statements, guild_id: int, user_id: int) -> StandingRow:
    """The member's pardon and block (a row of Nones when there is neither)."""
    row = await tx.fetchrow(
        "SELECT pardoned_at, blocked_at, block_reason, blocked_by FROM member_standing "
        "WHERE guild_id = $1 AND user_id = $2", guild_id, user_id)
    return StandingRow(guild_id, user_id, *row) if row else StandingRow(guild_id, user_id)


# What a job's screen reads, one statement: each row tagged with what it is, in columns
# shared by type (text, id, time); no join, so SQLite's planner wants no statistics.
# (The standing comes first: PostgreSQL types a column its first rows leave NULL as text.)
_SCREEN = (
    "SELECT 3, block_reason, NULL, NULL, NULL, NULL, blocked_by, pardoned_at, blocked_at "
    "FROM member_standing WHERE guild_id = $1 AND user_id = $2 "
    "UNION ALL SELECT 1, entry, key, NULL, NULL, NULL, NULL, created_at, NULL "
    "FROM blocklist_entries WHERE guild_id = $1 "
    "UNION ALL SELECT 2, id, kind, reason, prompt, request, channel_id, created_at, NULL "
    "FROM strikes WHERE guild_id = $1 AND user_id = $2 "
    "UNION ALL SELECT 4, NULL, NULL, NULL, NULL, NULL, review_channel_id, NULL, NULL "
    "FROM moderation_config WHERE guild_id = $1 "
    "ORDER BY 1, 8, 3")


async def screen_rows(tx: Statements, guild_id: int, user_id: int
                      ) -> tuple[list[str], list[StrikeRow], StandingRow, int | None]:
    """`blocklist_entries`, `member_strikes`, `member_standing` and `review_channel` in
    one statement, on the way of every job."""
    entries: list[str] = []
    strikes: list[StrikeRow] = []
    standing, review = StandingRow(guild_id, user_id), None
    for tag, text, text2, reason, prompt, request, number, time, time2 in await tx.fetch(
            _SCREEN, guild_id, user_id):
        if tag == 1:
            entries.append(text)
        elif tag == 2:
            strikes.append(StrikeRow(text, guild_id, user_id, number, text2, reason, prompt,
                                     json.loads(request), time))
        elif tag == 3:
            standing = StandingRow(guild_id, user_id, time, time2, text, number)
        else:
            review = number
    return entries, strikes, standing, review


async def put_member_standing(tx: Statements, standing: StandingRow) -> None:
    """Inserts or replaces the member's pardon and block."""
    await tx.execute(
        "INSERT INTO member_standing (guild_id, user_id, pardoned_at, blocked_at, "
        "block_reason, blocked_by) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET pardoned_at = excluded.pardoned_at, "
        "blocked_at = excluded.blocked_at, block_reason = excluded.block_reason, "
        "blocked_by = excluded.blocked_by",
        standing.guild_id, standing.user_id, standing.pardoned_at, standing.blocked_at,
        standing.block_reason, standing.blocked_by)


async def insert_appeal(tx: Statements, appeal: AppealRow) -> bool:
    """Records an appeal; False when the strike was appealed already."""
    changed = await tx.execute(
        f"INSERT INTO appeals ({APPEAL_SELECT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $11, $12, $13) ON CONFLICT (strike_id) DO NOTHING",
        appeal.strike_id, appeal.guild_id, appeal.user_id, appeal.channel_id, appeal.kind,
        appeal.reason, appeal.prompt, json.dumps(appeal.request), appeal.state,
        appeal.decided_by, appeal.review_message_id, appeal.created_at, appeal.decided_at)
    return changed == 1


async def appeal(tx: Statements, strike_id: str) -> AppealRow | None:
    """The appeal of a strike, or None."""
    row = await tx.fetchrow(f"SELECT {APPEAL_SELECT} FROM appeals WHERE strike_id = $1",
                            strike_id)
    return appeal_row(row) if row else None


async def member_appeal_times(tx: Statements, guild_id: int, user_id: int, since: float
                              ) -> list[float]:
    """When the member appealed in the server since `since`."""
    rows = await tx.fetch(
        "SELECT created_at FROM appeals WHERE guild_id = $1 AND user_id = $2 "
        "AND created_at >= $3 ORDER BY created_at", guild_id, user_id, since)
    return [r[0] for r in rows]


async def decide_appeal(tx: Statements, strike_id: str, state: AppealState, by: int,
                        now: float) -> bool:
    """Approves or rejects a pending appeal; False when it was decided already."""
    changed = await tx.execute(
        "UPDATE appeals SET state = $1, decided_by = $2, decided_at = $3 "
        "WHERE strike_id = $4 AND state = 'pending'", state, by, now, strike_id)
    return changed == 1


async def set_appeal_message(tx: Statements, strike_id: str, message_id: int) -> None:
    """Remembers the appeal's message in the review channel."""
    await tx.execute(
        "UPDATE appeals SET review_message_id = $1 WHERE strike_id = $2",
        message_id, strike_id)


async def review_channel(tx: Statements, guild_id: int) -> int | None:
    """The server's review channel, or None."""
    value: int | None = await tx.fetchval(
        "SELECT review_channel_id FROM moderation_config WHERE guild_id = $1", guild_id)
    return value


async def set_review_channel(tx: Statements, guild_id: int, channel_id: int | None) -> None:
    """Sets the review channel; None turns review (and appeals) off."""
    await tx.execute(
        "INSERT INTO moderation_config (guild_id, review_channel_id) VALUES ($1, $2) "
        "ON CONFLICT (guild_id) DO UPDATE SET review_channel_id = excluded.review_channel_id",
        guild_id, channel_id)
