"""A board's style as an option source of a job (SPEC section 9)."""

from __future__ import annotations

from bot.boards.service import Boards
from bot.job_settings import JobSettings
from bot.jobs.ports import Contribution, Reads, Slot
from bot.jobs.request import ImagineRequest


class BoardStyleSource:
    """The style of the board the request names, if any."""

    reads: frozenset[Reads] = frozenset()

    def __init__(self, boards: Boards) -> None:
        self._boards = boards

    async def contribute(self, request: ImagineRequest, found: JobSettings
                         ) -> tuple[Contribution, ...]:
        """The board's style layer, with the board's name as stored."""
        if request.board is None:
            return ()
        style = await self._boards.style_layer(request.guild_id, request.board)
        return (Contribution(Slot.BOARD, style.layer(), board=style.board),)
