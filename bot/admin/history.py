"""A member's ledger in a server, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from bot import mentions
from bot.admin import store
from bot.credits.rows import LedgerEntry
from bot.i18n import tr
from bot.storage import Store

PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class HistoryPage:
    entries: list[LedgerEntry]
    page: int  # 0-based, clamped to the pages there are
    pages: int  # at least 1
    total: int


async def history_page(db: Store, guild_id: int, user_id: int, page: int) -> HistoryPage:
    """Page `page` of the member's ledger rows (a page past the end shows the last one)."""
    page = max(page, 0)
    total, entries = await db.read(
        lambda tx: store.ledger_page(tx, guild_id, user_id, page * PAGE_SIZE, PAGE_SIZE))
    pages = max(1, -(-total // PAGE_SIZE))
    if page >= pages:
        last = pages - 1
        total, entries = await db.read(
            lambda tx: store.ledger_page(tx, guild_id, user_id, last * PAGE_SIZE, PAGE_SIZE))
        page = last
    return HistoryPage(entries, page, pages, total)


def describe(entry: LedgerEntry) -> str:
    """Why a balance changed, in a member's words (a `Text`; the stored reason itself, an
    admin's or the job's, stays as written)."""
    if entry.job_id is not None:
        if entry.reason == "reserve":
            return tr("charged for an image")
        if entry.reason.startswith("reserve: "):  # a tool under a result
            return tr("charged for {tool}", tool=entry.reason.removeprefix("reserve: "))
        return tr("given back: {reason}", reason=entry.reason.removeprefix("refund: "))
    if entry.actor_id:
        return tr("{reason} (by {admin})", reason=mentions.typed(entry.reason),
                  admin=mentions.member(entry.actor_id))
    return mentions.typed(entry.reason)
