"""Moodboards over storage: boards and their threads, styles, items (with thumbnails, never
full files), and the member's history. Discord is not known here: the cogs post and pass
in ids."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from bot import mentions
from bot.boards import store
from bot.boards.names import check_new_name, clean_name, name_key
from bot.boards.sheet import MAX_ITEMS
from bot.boards.store import Board, BoardItem, HistoryEntry, KeptResult
from bot.boards.style import StyleLayer
from bot.boards.thumbs import make_thumbnail_async
from bot.credits.rows import Job
from bot.errors import UserError
from bot.i18n import tr
from bot.storage import Store, Transaction

log = logging.getLogger(__name__)

HISTORY_PAGE = 10
HISTORY_SCAN_CHUNK = 500
# The most items posted again in a board's thread when it is made again.
REPOST_MAX = 200
NAME_SHOWN = 100  # characters of a board name a refusal repeats (a name is at most 100)


async def _history_chunk(guild_id: int, user_id: int, offset: int, tx: Transaction
                         ) -> list[HistoryEntry]:
    return await store.history(tx, guild_id, user_id, None, HISTORY_SCAN_CHUNK, offset)


class BoardNotFound(UserError):
    def __init__(self, name: str) -> None:
        super().__init__(tr("This server has no board called “{name}”. See /board list.",
                            name=mentions.typed(name[:NAME_SHOWN])))


@dataclass(frozen=True, slots=True)
class Added:
    """What Add to board did: the item, and whether it was on the board already."""

    item: BoardItem
    duplicate: bool


class Boards:
    """The boards of every server, over one `Store`."""

    def __init__(self, db: Store, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    # -- boards ------------------------------------------------------------------------

    async def boards(self, guild_id: int) -> list[tuple[Board, int]]:
        """The server's boards, most recently used first, each with its item count."""

        async def read(tx: Transaction) -> list[tuple[Board, int]]:
            counts = await store.board_counts(tx, guild_id)
            return [(b, counts.get(b.id, 0)) for b in await store.boards(tx, guild_id)]

        return await self._db.read(read)

    async def board(self, guild_id: int, name: str) -> Board:
        """The server's board called `name` (any case). Raises BoardNotFound."""
        board = await self._db.read(lambda tx: store.board_by_key(tx, guild_id, name_key(name)))
        if board is None:
            raise BoardNotFound(name.strip())
        return board

    async def new_board_name(self, guild_id: int, raw: str) -> tuple[str, Board | None]:
        """The cleaned name for /board create, and the board it re-creates (one of that
        name whose thread was archived or deleted), if any. Raises BoardNameError."""
        name = clean_name(raw)
        existing = await self._db.read(lambda tx: store.board_by_key(tx, guild_id, name_key(name)))
        if existing is None:
            return name, None
        if existing.thread_state == "active":
            check_new_name(name, [existing.name])  # raises: the name is taken
        return name, existing

    async def record_board(self, guild_id: int, name: str, channel_id: int, thread_id: int,
                           created_by: int) -> Board:
        """Records the board whose thread was just made; a board of that name whose
        thread was gone gets the new thread and keeps its items and style."""
        now = self._clock()
        key = name_key(name)

        async def write(tx: Transaction) -> Board:
            existing = await store.board_by_key(tx, guild_id, key)
            if existing is not None:
                await store.update_board(tx, existing.id, channel_id=channel_id,
                                         thread_id=thread_id, thread_state="active",
                                         last_used_at=now)
            else:
                await store.insert_board(tx, Board(
                    secrets.token_hex(16), guild_id, name, key, channel_id, thread_id,
                    "active", {}, created_by, now, now))
            board = await store.board_by_key(tx, guild_id, key)
            assert board is not None
            return board

        board = await self._db.write(write)
        log.info("server %d: board %s on thread %d", guild_id, board.id, thread_id)
        return board

    async def set_style(self, board: Board, style: dict[str, Any]) -> None:
        """Replaces the board's style (see `bot.boards.style.check_style`)."""
        await self._db.write(lambda tx: store.update_board(tx, board.id, style=style))

    async def style_layer(self, guild_id: int, name: str) -> StyleLayer:
        """The style of the server's board `name`, as a layer of options."""
        board = await self.board(guild_id, name)
        return StyleLayer.from_stored(board.name, board.style)

    async def thread_changed(self, thread_id: int, state: str) -> int:
        """Records that a board's thread was archived, unarchived or deleted outside the
        bot; returns how many boards it was."""
        changed = await self._db.write(lambda tx: store.set_thread_state(tx, thread_id, state))
        if changed:
            log.info("board thread %d is now %s", thread_id, state)
        return changed

    # -- results and items -------------------------------------------------------------

    async def add(self, board: Board, job: Job, kept: KeptResult, added_by: int,
                  link: str) -> Added:
        """Puts a result (its file read back from Discord) on a board under the next number,
        keeping its thumbnail, not the file; the same image a second time
        comes back as the item already there (`duplicate`). The item's message in the
        board's thread is recorded after with `posted`, or the item taken back with
        `withdraw` when posting failed."""
        digest = hashlib.sha256(kept.data).hexdigest()
        already = await self._db.read(lambda tx: store.board_item_by_hash(tx, board.id, digest))
        if already is not None:
            return Added(already, duplicate=True)
        thumbnail = await make_thumbnail_async(kept.data)
        now = self._clock()

        async def write(tx: Transaction) -> Added:
            # Checked again inside the transaction: two members may add it at once.
            again = await store.board_item_by_hash(tx, board.id, digest)
            if again is not None:
                return Added(again, duplicate=True)
            item = BoardItem(
                board.id, await store.take_item_number(tx, board.id), job.id, digest, job.prompt,
                job.model, job.seed, job.user_id, added_by, link, None, kept.filename,
                None, thumbnail, now)
            await store.insert_board_item(tx, item)
            await store.update_board(tx, board.id, last_used_at=now)
            return Added(item, duplicate=False)

        return await self._db.write(write)

    async def posted(self, item: BoardItem, message_id: int) -> None:
        """Records the message that shows `item` in its board's thread."""
        await self._db.write(
            lambda tx: store.set_item_message(tx, item.board_id, item.number, message_id))

    async def withdraw(self, item: BoardItem) -> None:
        """Takes back an item whose copy could not be posted, and its number when no
        other was taken since: nobody saw it, so the board's numbers stay without gaps."""

        async def write(tx: Transaction) -> None:
            await store.delete_board_item(tx, item.board_id, item.number)
            await store.give_back_number(tx, item.board_id, item.number)

        await self._db.write(write)

    async def remove(self, board: Board, number: int, user_id: int,
                     may_manage: bool) -> BoardItem:
        """Removes item `number`: by the member who added it, or one with Manage
        Messages (`may_manage`). Raises UserError otherwise."""
        item = await self._db.read(lambda tx: store.board_item(tx, board.id, number))
        if item is None:
            raise UserError(tr("Board “{name}” has no image number {number}.",
                               name=mentions.typed(board.name), number=number))
        if item.added_by != user_id and not may_manage:
            raise UserError(tr("Only the member who added that image, or someone with Manage "
                               "Messages, can remove it."))
        await self._db.write(lambda tx: store.delete_board_item(tx, board.id, number))
        return item

    async def items_to_repost(self, board: Board) -> list[BoardItem]:
        """The board's newest REPOST_MAX items, oldest first: to post again in a thread
        made again (each file read back from its original message)."""
        items = await self._db.read(lambda tx: store.board_items(tx, board.id, REPOST_MAX))
        return items[::-1]

    async def sheet_items(self, board: Board) -> list[BoardItem]:
        """The board's newest items, as many as one contact sheet holds."""
        return await self._db.read(lambda tx: store.board_items(tx, board.id, MAX_ITEMS))

    # -- history -----------------------------------------------------------------------

    async def history(self, guild_id: int, user_id: int, query: str | None,
                      page: int) -> tuple[list[HistoryEntry], bool]:
        """Page `page` (from 0) of the member's posted results here, newest first, and
        whether a later page exists. `query` keeps the prompts that contain it, ignoring
        case."""
        query = query.strip() if query else None
        wanted = HISTORY_PAGE + 1
        if not query or query.isascii():
            # Both engines' lower() fold ASCII letters whatever their locale: the database
            # filters. Other letters are folded here (below), where Unicode is known.
            rows = await self._db.read(lambda tx: store.history(
                tx, guild_id, user_id, query or None, wanted, page * HISTORY_PAGE))
        else:
            rows = await self._scan_history(guild_id, user_id, query.casefold(),
                                            page * HISTORY_PAGE, wanted)
        return rows[:HISTORY_PAGE], len(rows) > HISTORY_PAGE

    async def _scan_history(self, guild_id: int, user_id: int, folded: str, skip: int,
                            wanted: int) -> list[HistoryEntry]:
        """The member's results whose casefolded prompt holds `folded`, read newest first
        in chunks until `skip + wanted` matched or none are left."""
        matched: list[HistoryEntry] = []
        offset = 0
        while len(matched) < skip + wanted:
            chunk = await self._db.read(partial(_history_chunk, guild_id, user_id, offset))
            matched += [e for e in chunk if folded in e.prompt.casefold()]
            if len(chunk) < HISTORY_SCAN_CHUNK:
                break
            offset += HISTORY_SCAN_CHUNK
        return matched[skip:skip + wanted]
