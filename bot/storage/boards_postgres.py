"""PostgreSQL's statements for boards, kept results and /history (mixed into
`PostgresTransaction`): the same statements as `boards_sqlite`, in PostgreSQL's dialect."""

from __future__ import annotations

import json
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
from bot.storage.postgres_held import HeldWrites


def _count(status: str) -> int:
    """The row count of a command status such as 'UPDATE 2'."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresBoardStatements:
    """The board statements, on the transaction's asyncpg connection."""

    __slots__ = ()
    _conn: HeldWrites

    async def boards(self, guild_id: int) -> list[Board]:
        rows = await self._conn.fetch(
            f"SELECT {BOARD_SELECT} FROM boards WHERE guild_id = $1 ORDER BY last_used_at DESC",
            guild_id)
        return [board_from_row(row) for row in rows]

    async def board_by_key(self, guild_id: int, name_key: str) -> Board | None:
        row = await self._conn.fetchrow(
            f"SELECT {BOARD_SELECT} FROM boards WHERE guild_id = $1 AND name_key = $2",
            guild_id, name_key)
        return board_from_row(row) if row else None

    async def insert_board(self, board: Board) -> None:
        await self._conn.execute(
            f"INSERT INTO boards ({BOARD_SELECT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "$11)",
            board.id, board.guild_id, board.name, board.name_key, board.channel_id,
            board.thread_id, board.thread_state, json.dumps(dict(board.style)),
            board.created_by, board.created_at, board.last_used_at)

    async def update_board(self, board_id: str, **values: Any) -> None:
        names, stored = board_changes(values)
        sets = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
        await self._conn.execute(f"UPDATE boards SET {sets} WHERE id = $1", board_id, *stored)

    async def set_thread_state(self, thread_id: int, state: str) -> int:
        return _count(await self._conn.execute(
            "UPDATE boards SET thread_state = $1 WHERE thread_id = $2", state, thread_id))

    async def board_counts(self, guild_id: int) -> dict[str, int]:
        rows = await self._conn.fetch(
            "SELECT i.board_id, COUNT(*) FROM board_items i JOIN boards b ON b.id = i.board_id "
            "WHERE b.guild_id = $1 GROUP BY i.board_id", guild_id)
        return {row[0]: int(row[1]) for row in rows}

    async def take_item_number(self, board_id: str) -> int:
        number = await self._conn.fetchval(
            "UPDATE boards SET next_number = next_number + 1 WHERE id = $1 "
            "RETURNING next_number - 1", board_id)
        return int(number)

    async def give_back_number(self, board_id: str, number: int) -> None:
        await self._conn.execute(
            "UPDATE boards SET next_number = $1 WHERE id = $2 AND next_number = $3",
            number, board_id, number + 1)

    async def insert_board_item(self, item: BoardItem) -> None:
        await self._conn.execute(
            f"INSERT INTO board_items ({ITEM_SELECT}) VALUES "
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            item.board_id, item.number, item.job_id, item.image_hash, item.prompt,
            item.model, item.seed, item.author_id, item.added_by, item.link,
            item.message_id, item.filename, item.image, item.thumbnail, item.added_at)

    async def board_item_by_hash(self, board_id: str, image_hash: str) -> BoardItem | None:
        row = await self._conn.fetchrow(
            f"SELECT {ITEM_LIGHT} FROM board_items WHERE board_id = $1 AND image_hash = $2",
            board_id, image_hash)
        return BoardItem(*row) if row else None

    async def board_item(self, board_id: str, number: int) -> BoardItem | None:
        row = await self._conn.fetchrow(
            f"SELECT {ITEM_SELECT} FROM board_items WHERE board_id = $1 AND number = $2",
            board_id, number)
        return BoardItem(*row) if row else None

    async def set_item_message(self, board_id: str, number: int, message_id: int) -> None:
        await self._conn.execute(
            "UPDATE board_items SET message_id = $1 WHERE board_id = $2 AND number = $3",
            message_id, board_id, number)

    async def delete_board_item(self, board_id: str, number: int) -> bool:
        return _count(await self._conn.execute(
            "DELETE FROM board_items WHERE board_id = $1 AND number = $2",
            board_id, number)) == 1

    async def board_items(self, board_id: str, limit: int) -> list[BoardItem]:
        rows = await self._conn.fetch(
            f"SELECT {ITEM_LIGHT} FROM board_items WHERE board_id = $1 "
            "ORDER BY number DESC LIMIT $2", board_id, limit)
        return [BoardItem(*row) for row in rows]

    async def history(self, guild_id: int, user_id: int, query: str | None, limit: int,
                      offset: int) -> list[HistoryEntry]:
        rows = await self._conn.fetch(
            "SELECT id, guild_id, channel_id, message_id, model, prompt, seed, created_at "
            "FROM jobs WHERE guild_id = $1 AND user_id = $2 AND status = 'settled' "
            "AND deleted_at IS NULL "
            "AND prompt <> '' "
            "AND ($3::text IS NULL OR strpos(lower(prompt), lower($3::text)) > 0) "
            "ORDER BY created_at DESC LIMIT $4 OFFSET $5",
            guild_id, user_id, query, limit, offset)
        return [HistoryEntry(*row) for row in rows]
