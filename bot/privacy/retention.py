"""How long prompts and job details are kept: each server's own choice
(`/server retention`), never more than the operator's MAX_RETENTION_DAYS."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import UserError
from bot.i18n import tr
from bot.privacy import store
from bot.storage import Transaction

DAY = 86400


@dataclass(frozen=True, slots=True)
class Retention:
    """The retention in force in a server: `days`, and whether the server chose it."""

    days: int
    chosen: bool

    def describe(self) -> str:
        """One line for /server retention and /server settings."""
        whose = "chosen here" if self.chosen else "the bot's maximum"
        return (f"Prompts and job details are erased after {self.days} "
                f"day{'s' if self.days != 1 else ''} ({whose}); credit records stay.")


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
