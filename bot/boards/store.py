"""What is kept for moodboards and /history: the typed rows, and every statement on
them, written once for both engines."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.storage.base import Statements

# A board's thread as the bot last saw it: in use, archived, or deleted outside the bot.
THREAD_STATES = ("active", "archived", "deleted")
# Board columns a rule may change; the names are interpolated, never user input.
BOARD_COLUMNS = frozenset({"channel_id", "thread_id", "thread_state", "style", "last_used_at"})
# The columns both engines read, in the order of `Board` and `BoardItem`. ITEM_LIGHT is
# every column but the full image, which only a re-upload needs.
BOARD_SELECT = ("id, guild_id, name, name_key, channel_id, thread_id, thread_state, style, "
                "created_by, created_at, last_used_at")
ITEM_LIGHT = ("board_id, number, job_id, image_hash, prompt, model, seed, author_id, "
              "added_by, link, message_id, filename, NULL, thumbnail, added_at")
ITEM_SELECT = ITEM_LIGHT.replace("NULL", "image")


@dataclass(frozen=True, slots=True)
class Board:
    """A moodboard: a thread (or forum post) of `channel_id` that collects results."""

    id: str
    guild_id: int
    name: str
    name_key: str  # `bot.boards.names.name_key(name)`: unique per server
    channel_id: int
    thread_id: int
    thread_state: str
    style: Mapping[str, Any]
    created_by: int
    created_at: float
    last_used_at: float


@dataclass(frozen=True, slots=True)
class BoardItem:
    """One image on a board, numbered in the order it was added. `image` is always None
    (a full file is read back from Discord when needed); the thumbnail is kept for
    sheets."""

    board_id: str
    number: int
    job_id: str
    image_hash: str
    prompt: str
    model: str
    seed: int | None
    author_id: int
    added_by: int
    link: str  # jump link to the original result
    message_id: int | None  # the copy in the board's thread
    filename: str
    image: bytes | None
    thumbnail: bytes
    added_at: float


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A posted result of a member's, for /history."""

    job_id: str
    guild_id: int
    channel_id: int
    message_id: int | None
    model: str
    prompt: str
    seed: int
    created_at: float


@dataclass(frozen=True, slots=True)
class KeptResult:
    """A posted result's file as read back from its message on Discord (never stored:
    `job_id` names the result it came from)."""

    job_id: str
    filename: str
    data: bytes


def board_from_row(row: Any) -> Board:
    """A `Board` from a row of BOARD_SELECT (its style is stored as JSON)."""
    values = list(row)
    values[7] = json.loads(values[7])
    return Board(*values)


def _item(row: Any) -> BoardItem:
    """A `BoardItem` from a row of ITEM_SELECT or ITEM_LIGHT (the files as bytes)."""
    values = list(row)
    if values[12] is not None:
        values[12] = bytes(values[12])
    values[13] = bytes(values[13])
    return BoardItem(*values)


def board_changes(values: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    """The columns and stored values of an `update_board`; refuses a column not in
    BOARD_COLUMNS (the names are interpolated into the statement)."""
    unknown = set(values) - BOARD_COLUMNS
    if unknown:
        raise ValueError(f"unknown board columns: {sorted(unknown)}")
    names = sorted(values)
    stored = [json.dumps(dict(values[n])) if n == "style" else values[n] for n in names]
    return names, stored


async def boards(tx: Statements, guild_id: int) -> list[Board]:
    """The server's boards, most recently used first."""
    rows = await tx.fetch(
        f"SELECT {BOARD_SELECT} FROM boards WHERE guild_id = $1 ORDER BY last_used_at DESC",
        guild_id)
    return [board_from_row(row) for row in rows]


async def board_by_key(tx: Statements, guild_id: int, name_key: str) -> Board | None:
    """The server's board with that name key, or None."""
    row = await tx.fetchrow(
        f"SELECT {BOARD_SELECT} FROM boards WHERE guild_id = $1 AND name_key = $2",
        guild_id, name_key)
    return board_from_row(row) if row else None


async def insert_board(tx: Statements, board: Board) -> None:
    """Records a new board."""
    await tx.execute(
        f"INSERT INTO boards ({BOARD_SELECT}) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        board.id, board.guild_id, board.name, board.name_key, board.channel_id,
        board.thread_id, board.thread_state, json.dumps(dict(board.style)),
        board.created_by, board.created_at, board.last_used_at)


async def update_board(tx: Statements, board_id: str, **values: Any) -> None:
    """Sets the named columns of BOARD_COLUMNS (`style` as a mapping)."""
    names, stored = board_changes(values)
    sets = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
    await tx.execute(f"UPDATE boards SET {sets} WHERE id = $1", board_id, *stored)


async def set_thread_state(tx: Statements, thread_id: int, state: str) -> int:
    """Marks every board on that thread; returns how many there were."""
    return await tx.execute(
        "UPDATE boards SET thread_state = $1 WHERE thread_id = $2", state, thread_id)


async def board_counts(tx: Statements, guild_id: int) -> dict[str, int]:
    """How many items each of the server's boards holds (boards with none left out)."""
    rows = await tx.fetch(
        "SELECT i.board_id, COUNT(*) FROM board_items i JOIN boards b ON b.id = i.board_id "
        "WHERE b.guild_id = $1 GROUP BY i.board_id", guild_id)
    return {row[0]: int(row[1]) for row in rows}


async def take_item_number(tx: Statements, board_id: str) -> int:
    """The next unused number on the board (numbers are never reused)."""
    number = await tx.fetchval(
        "UPDATE boards SET next_number = next_number + 1 WHERE id = $1 "
        "RETURNING next_number - 1", board_id)
    return int(number)


async def give_back_number(tx: Statements, board_id: str, number: int) -> None:
    """Makes `number` the next again, when it is the last one taken (an item that
    was never shown)."""
    await tx.execute(
        "UPDATE boards SET next_number = $1 WHERE id = $2 AND next_number = $3",
        number, board_id, number + 1)


async def insert_board_item(tx: Statements, item: BoardItem) -> None:
    """Adds an item; the same image twice on a board breaks a unique constraint."""
    await tx.execute(
        f"INSERT INTO board_items ({ITEM_SELECT}) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        item.board_id, item.number, item.job_id, item.image_hash, item.prompt,
        item.model, item.seed, item.author_id, item.added_by, item.link,
        item.message_id, item.filename, item.image, item.thumbnail, item.added_at)


async def board_item_by_hash(tx: Statements, board_id: str, image_hash: str
                             ) -> BoardItem | None:
    """The item of that image on the board, or None."""
    row = await tx.fetchrow(
        f"SELECT {ITEM_LIGHT} FROM board_items WHERE board_id = $1 AND image_hash = $2",
        board_id, image_hash)
    return _item(row) if row else None


async def board_item(tx: Statements, board_id: str, number: int) -> BoardItem | None:
    """The board's item with that number, or None."""
    row = await tx.fetchrow(
        f"SELECT {ITEM_SELECT} FROM board_items WHERE board_id = $1 AND number = $2",
        board_id, number)
    return _item(row) if row else None


async def set_item_message(tx: Statements, board_id: str, number: int, message_id: int
                           ) -> None:
    """Records the message that shows the item in the board's thread."""
    await tx.execute(
        "UPDATE board_items SET message_id = $1 WHERE board_id = $2 AND number = $3",
        message_id, board_id, number)


async def delete_board_item(tx: Statements, board_id: str, number: int) -> bool:
    """Removes an item; False when there was none."""
    return await tx.execute(
        "DELETE FROM board_items WHERE board_id = $1 AND number = $2",
        board_id, number) == 1


async def board_items(tx: Statements, board_id: str, limit: int) -> list[BoardItem]:
    """The board's newest items first, at most `limit`, without their full images."""
    rows = await tx.fetch(
        f"SELECT {ITEM_LIGHT} FROM board_items WHERE board_id = $1 "
        "ORDER BY number DESC LIMIT $2", board_id, limit)
    return [_item(row) for row in rows]


async def history(tx: Statements, guild_id: int, user_id: int, query: str | None,
                  limit: int, offset: int) -> list[HistoryEntry]:
    """The member's posted results in the server, newest first; `query` filters the
    prompt, ignoring the case of ASCII letters (other letters: whatever the
    database's locale does)."""
    # lower() on both sides folds ASCII letters (callers fold other text themselves).
    rows = await tx.fetch(
        "SELECT id, guild_id, channel_id, message_id, model, prompt, seed, created_at "
        "FROM jobs WHERE guild_id = $1 AND user_id = $2 AND status = 'settled' "
        "AND deleted_at IS NULL "
        "AND prompt <> '' "
        "AND (CAST($3 AS TEXT) IS NULL "
        "OR strpos(lower(prompt), lower(CAST($3 AS TEXT))) > 0) "
        "ORDER BY created_at DESC LIMIT $4 OFFSET $5",
        guild_id, user_id, query, limit, offset)
    return [HistoryEntry(*row) for row in rows]
