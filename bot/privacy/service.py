"""A member's own data over storage: the export (one snapshot of every server) and the
erasure (one transaction). What Discord must be told afterwards (review posts to edit,
board posts to delete, log channels) is returned for the Discord side to do."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.i18n import SOURCE
from bot.privacy import retention, store
from bot.privacy.export import build_export
from bot.privacy.retention import Retention
from bot.privacy.store import Erased
from bot.storage import Store, Transaction

if TYPE_CHECKING:
    from bot.credits import Credits

log = logging.getLogger(__name__)


class Privacy:
    """Exports and erasures over one `Store`. `clock` gives epoch seconds."""

    def __init__(self, db: Store, credits: Credits, *, max_retention_days: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._credits = credits
        self.max_retention_days = max_retention_days
        self._clock = clock

    async def export(self, user_id: int, lang: str = SOURCE) -> bytes:
        """Everything kept about the member, in every server, as the JSON document (its
        explanations in `lang`)."""

        async def read(tx: Transaction) -> dict[str, list[dict[str, Any]]]:
            return await store.member_data(tx, user_id)

        data = await self._db.read(read)
        balances = {}
        for row in data["balances"]:
            guild_id = int(row["guild_id"])
            balances[guild_id] = (await self._credits.balance(guild_id, user_id)).total
        return build_export(user_id, data, balances, self._clock(), lang)

    async def forget(self, user_id: int) -> Erased:
        """Erases the member's prompts, options, presets, preferences, strike and appeal
        texts, kept input images and the board items they added, in every server, in one
        transaction. Ledger rows and balances stay. Safe to run again."""
        erased = await self._db.write(lambda tx: store.erase_member(tx, user_id))
        log.info("member %d: personal data erased at their request (%d servers)",
                 user_id, len(erased.servers))
        return erased

    async def retention(self, guild_id: int) -> Retention:
        """The retention in force in the server."""
        own = await self._db.read(lambda tx: store.retention(tx, guild_id))
        return retention.in_force(own, self.max_retention_days)

    async def set_retention(self, guild_id: int, days: int) -> Retention:
        """Sets the server's retention; raises UserError above the operator's maximum."""
        retention.check_days(days, self.max_retention_days)
        await self._db.write(lambda tx: store.set_retention(tx, guild_id, days))
        return retention.in_force(days, self.max_retention_days)

    async def expire(self) -> int:
        """Erases what every server's retention has run out on (the periodic task)."""
        changed = await self._db.write(
            lambda tx: retention.expire(tx, self._clock(), self.max_retention_days))
        if changed:
            log.info("retention: erased the prompts of %d rows", changed)
        return changed
