"""A member's own data over storage: the export (one snapshot of every server) and the
erasure (one transaction). What Discord must be told afterwards (review posts to edit,
board posts to delete, log channels) is returned for the Discord side to do."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.privacy.export import build_export
from bot.storage import Store, Transaction
from bot.storage.privacy_base import Erased

if TYPE_CHECKING:
    from bot.credits import Credits

log = logging.getLogger(__name__)


class Privacy:
    """Exports and erasures over one `Store`. `clock` gives epoch seconds."""

    def __init__(self, db: Store, credits: Credits, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._credits = credits
        self._clock = clock

    async def export(self, user_id: int) -> bytes:
        """Everything kept about the member, in every server, as the JSON document."""

        async def read(tx: Transaction) -> dict[str, list[dict[str, Any]]]:
            return await tx.member_data(user_id)

        data = await self._db.read(read)
        balances = {}
        for row in data["balances"]:
            guild_id = int(row["guild_id"])
            balances[guild_id] = (await self._credits.balance(guild_id, user_id)).total
        return build_export(user_id, data, balances, self._clock())

    async def forget(self, user_id: int) -> Erased:
        """Erases the member's prompts, options, presets, preferences, strike and appeal
        texts, kept input images and the board items they added, in every server, in one
        transaction. Ledger rows and balances stay. Safe to run again."""
        erased = await self._db.write(lambda tx: tx.erase_member(user_id))
        log.info("member %d: personal data erased at their request (%d servers)",
                 user_id, len(erased.servers))
        return erased
