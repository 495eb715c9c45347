"""What storage keeps for moodboards and /history: the typed rows and the statements
both engines offer for them (part of the `Transaction` seam)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

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


def board_changes(values: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    """The columns and stored values of an `update_board`; refuses a column not in
    BOARD_COLUMNS (the names are interpolated into the statement)."""
    unknown = set(values) - BOARD_COLUMNS
    if unknown:
        raise ValueError(f"unknown board columns: {sorted(unknown)}")
    names = sorted(values)
    stored = [json.dumps(dict(values[n])) if n == "style" else values[n] for n in names]
    return names, stored


class BoardStatements(Protocol):
    """The statements for boards, their items and /history."""

    async def boards(self, guild_id: int) -> list[Board]:
        """The server's boards, most recently used first."""

    async def board_by_key(self, guild_id: int, name_key: str) -> Board | None:
        """The server's board with that name key, or None."""

    async def insert_board(self, board: Board) -> None:
        """Records a new board."""

    async def update_board(self, board_id: str, **values: Any) -> None:
        """Sets the named columns of BOARD_COLUMNS (`style` as a mapping)."""

    async def set_thread_state(self, thread_id: int, state: str) -> int:
        """Marks every board on that thread; returns how many there were."""

    async def board_counts(self, guild_id: int) -> dict[str, int]:
        """How many items each of the server's boards holds (boards with none left out)."""

    async def take_item_number(self, board_id: str) -> int:
        """The next unused number on the board (numbers are never reused)."""

    async def give_back_number(self, board_id: str, number: int) -> None:
        """Makes `number` the next again, when it is the last one taken (an item that
        was never shown)."""

    async def insert_board_item(self, item: BoardItem) -> None:
        """Adds an item; the same image twice on a board breaks a unique constraint."""

    async def board_item_by_hash(self, board_id: str, image_hash: str) -> BoardItem | None:
        """The item of that image on the board, or None."""

    async def board_item(self, board_id: str, number: int) -> BoardItem | None:
        """The board's item with that number, or None."""

    async def set_item_message(self, board_id: str, number: int, message_id: int) -> None:
        """Records the message that shows the item in the board's thread."""

    async def delete_board_item(self, board_id: str, number: int) -> bool:
        """Removes an item; False when there was none."""

    async def board_items(self, board_id: str, limit: int) -> list[BoardItem]:
        """The board's newest items first, at most `limit`, without their full images."""

    async def history(self, guild_id: int, user_id: int, query: str | None, limit: int,
                      offset: int) -> list[HistoryEntry]:
        """The member's posted results in the server, newest first; `query` filters the
        prompt, ignoring the case of ASCII letters (other letters: whatever the
        database's locale does)."""
