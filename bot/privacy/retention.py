"""How long prompts and job details are kept: each server's own choice
(`/server retention`), never more than the operator's MAX_RETENTION_DAYS."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import UserError
from bot.i18n import Text, tr, trn
from bot.privacy import store
from bot.storage import Transaction

DAY = 86400


@dataclass(frozen=True, slots=True)
class Retention:
    """The retention in force in a server: `days`, and whether the server chose it."""

    days: int
    chosen: bool

    def describe(self) -> Text:
        """One line for /server retention and /server settings."""
        if self.chosen:
            return trn("Prompts and job details are erased after {n} day (chosen here); "
                       "credit records stay.",
                       "Prompts and job details are erased after {n} days (chosen here); "
                       "credit records stay.", self.days)
        return trn("Prompts and job details are erased after {n} day (the bot's maximum); "
                   "credit records stay.",
                   "Prompts and job details are erased after {n} days (the bot's maximum); "
                   "credit records stay.", self.days)


def in_force(own: int | None, maximum: int) -> Retention:
    """A server's retention, given its own choice (if any) and the operator's maximum."""
    if own is None or own >= maximum:
        return Retention(maximum, own is not None and own == maximum)
    return Retention(own, True)


def check_days(days: int, maximum: int) -> None:
    """Refuses a retention the operator does not allow, naming the ceiling."""
    if days < 1 or days > maximum:
        raise UserError(tr("Choose between 1 and {maximum} days: the bot's operator keeps "
                           "prompts at most {maximum} days.",
                           maximum=maximum))


async def expire(tx: Transaction, now: float, maximum: int) -> int:
    """Erases, in every server, prompts and job details older than its retention; returns
    how many rows were changed. Ledger amounts stay."""
    changed = await store.expire(tx, now - maximum * DAY)
    for guild_id, days in (await store.retentions(tx)).items():
        if days < maximum:
            changed += await store.expire(tx, now - days * DAY, guild_id)
    return changed
