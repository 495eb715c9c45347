"""Moderation: blocklists (SPEC section 7).

Nothing here touches Discord or storage: `blocklist` checks a prompt against the
operator's and a server's entries. The cogs and the storage layer feed it.
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

__all__ = [
    "Blocklist",
    "BlocklistFileError",
    "Entry",
    "EntryRefused",
    "Hit",
    "Prompt",
    "check",
    "load_file",
    "parse_entry",
    "parse_file",
]
