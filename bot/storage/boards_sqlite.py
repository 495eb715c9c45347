"""SQLite's statements for boards and /history (mixed into
`SqliteTransaction`; like its other methods, each runs at once and never suspends)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from bot.storage.boards_base import (
    BOARD_SELECT,
    ITEM_LIGHT,
    ITEM_SELECT,
    Board,
    BoardItem,
    HistoryEntry,
    board_changes,
    board_from_row,
)


def _item(row: tuple[Any, ...]) -> BoardItem:
    values = list(row)
    if values[12] is not None:
        values[12] = bytes(values[12])
    values[13] = bytes(values[13])
    return BoardItem(*values)


class SqliteBoardStatements:
    """The board statements, on the transaction's sqlite3 connection."""

    __slots__ = ()
    _conn: sqlite3.Connection

    async def boards(self, guild_id: int) -> list[Board]:
        rows = self._conn.execute(
            f"SELECT {BOARD_SELECT} FROM boards WHERE guild_id = ? ORDER BY last_used_at DESC",
            (guild_id,)).fetchall()
        return [board_from_row(row) for row in rows]

    async def board_by_key(self, guild_id: int, name_key: str) -> Board | None:
        row = self._conn.execute(
            f"SELECT {BOARD_SELECT} FROM boards WHERE guild_id = ? AND name_key = ?",
            (guild_id, name_key)).fetchone()
        return board_from_row(row) if row else None

    async def insert_board(self, board: Board) -> None:
        self._conn.execute(
            f"INSERT INTO boards ({BOARD_SELECT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (board.id, board.guild_id, board.name, board.name_key, board.channel_id,
             board.thread_id, board.thread_state, json.dumps(dict(board.style)),
             board.created_by, board.created_at, board.last_used_at))

    async def update_board(self, board_id: str, **values: Any) -> None:
        names, stored = board_changes(values)
        self._conn.execute(
            f"UPDATE boards SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
            (*stored, board_id))

    async def set_thread_state(self, thread_id: int, state: str) -> int:
        cursor = self._conn.execute(
            "UPDATE boards SET thread_state = ? WHERE thread_id = ?", (state, thread_id))
        return cursor.rowcount

    async def board_counts(self, guild_id: int) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT i.board_id, COUNT(*) FROM board_items i JOIN boards b ON b.id = i.board_id "
            "WHERE b.guild_id = ? GROUP BY i.board_id", (guild_id,)).fetchall()
        return dict(rows)

    async def take_item_number(self, board_id: str) -> int:
        (number,) = self._conn.execute(
            "UPDATE boards SET next_number = next_number + 1 WHERE id = ? "
            "RETURNING next_number - 1", (board_id,)).fetchone()
        return int(number)

    async def give_back_number(self, board_id: str, number: int) -> None:
        self._conn.execute(
            "UPDATE boards SET next_number = ? WHERE id = ? AND next_number = ?",
            (number, board_id, number + 1))

    async def insert_board_item(self, item: BoardItem) -> None:
        self._conn.execute(
            f"INSERT INTO board_items ({ITEM_SELECT}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item.board_id, item.number, item.job_id, item.image_hash, item.prompt,
             item.model, item.seed, item.author_id, item.added_by, item.link,
             item.message_id, item.filename, item.image, item.thumbnail, item.added_at))

    async def board_item_by_hash(self, board_id: str, image_hash: str) -> BoardItem | None:
        row = self._conn.execute(
            f"SELECT {ITEM_LIGHT} FROM board_items WHERE board_id = ? AND image_hash = ?",
            (board_id, image_hash)).fetchone()
        return _item(row) if row else None

    async def board_item(self, board_id: str, number: int) -> BoardItem | None:
        row = self._conn.execute(
            f"SELECT {ITEM_SELECT} FROM board_items WHERE board_id = ? AND number = ?",
            (board_id, number)).fetchone()
        return _item(row) if row else None

    async def set_item_message(self, board_id: str, number: int, message_id: int) -> None:
        self._conn.execute(
            "UPDATE board_items SET message_id = ? WHERE board_id = ? AND number = ?",
            (message_id, board_id, number))

    async def delete_board_item(self, board_id: str, number: int) -> bool:
        cursor = self._conn.execute(
            "DELETE FROM board_items WHERE board_id = ? AND number = ?", (board_id, number))
        return cursor.rowcount == 1

    async def board_items(self, board_id: str, limit: int) -> list[BoardItem]:
        rows = self._conn.execute(
            f"SELECT {ITEM_LIGHT} FROM board_items WHERE board_id = ? "
            "ORDER BY number DESC LIMIT ?", (board_id, limit)).fetchall()
        return [_item(row) for row in rows]

    async def history(self, guild_id: int, user_id: int, query: str | None, limit: int,
                      offset: int) -> list[HistoryEntry]:
        # lower() on both sides folds ASCII letters (callers fold other text themselves).
        rows = self._conn.execute(
            "SELECT id, guild_id, channel_id, message_id, model, prompt, seed, created_at "
            "FROM jobs WHERE guild_id = ? AND user_id = ? AND status = 'settled' "
            "AND deleted_at IS NULL "
            "AND prompt <> '' "
            "AND (? IS NULL OR instr(lower(prompt), lower(?)) > 0) "
            "ORDER BY created_at DESC LIMIT ? OFFSET ?",
            (guild_id, user_id, query, query, limit, offset)).fetchall()
        return [HistoryEntry(*row) for row in rows]
