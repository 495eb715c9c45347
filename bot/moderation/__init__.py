"""Moderation: blocklists and the strike rules (SPEC section 7).

Neither part touches Discord or storage: `blocklist` checks a prompt against the
operator's and a server's entries, `strikes` decides from a member's rows whether they
may generate. The cogs and the storage layer feed them.
"""

from __future__ import annotations

from bot.moderation.blocklist import (
    Blocklist,
    BlocklistFileError,
    Entry,
    Hit,
    Prompt,
    check,
    load_file,
    parse_entry,
    parse_file,
)
from bot.moderation.patterns import EntryRefused
from bot.moderation.strikes import (
    AppealAllowance,
    Block,
    Blocked,
    Clock,
    CoolingDown,
    MemberRecord,
    Policy,
    Standing,
    Strike,
    appeal_allowance,
    cooldown_until,
    standing,
)

__all__ = [
    "AppealAllowance",
    "Block",
    "Blocked",
    "Blocklist",
    "BlocklistFileError",
    "Clock",
    "CoolingDown",
    "Entry",
    "EntryRefused",
    "Hit",
    "MemberRecord",
    "Policy",
    "Prompt",
    "Standing",
    "Strike",
    "appeal_allowance",
    "check",
    "cooldown_until",
    "load_file",
    "parse_entry",
    "parse_file",
    "standing",
]
