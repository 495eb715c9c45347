"""A board's style as an option source of a job (SPEC section 9)."""

from __future__ import annotations

from bot.boards import store
from bot.boards.names import name_key
from bot.boards.service import BoardNotFound
from bot.boards.store import Board
from bot.boards.style import StyleLayer
from bot.jobs.ports import Contribution, Slot
from bot.jobs.request import ImagineRequest
from bot.storage import Rule, Transaction


class BoardStyleSource:
    """The style of the board the request names, if any."""

    def settings_rule(self, request: ImagineRequest) -> Rule[Board | None] | None:
        """The board the request names (nothing without one)."""
        name = request.board
        if name is None:
            return None
        guild_id = request.guild_id

        async def board(tx: Transaction) -> Board | None:
            return await store.board_by_key(tx, guild_id, name_key(name))

        return board

    async def contribute(self, request: ImagineRequest, found: Board | None
                         ) -> tuple[Contribution, ...]:
        """The board's style layer, with the board's name as stored. Raises
        BoardNotFound."""
        if request.board is None:
            return ()
        if found is None:
            raise BoardNotFound(request.board.strip())
        style = StyleLayer.from_stored(found.name, found.style)
        return (Contribution(Slot.BOARD, style.layer(), board=style.board),)
