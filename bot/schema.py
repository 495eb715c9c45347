"""The whole schema: every feature's migrations in the order they shipped, and the tables
a copy to another engine fills. Storage never imports this module (it knows no feature);
the code that opens a store hands it the migrations from here.

Append a new migration at the end, never reorder: a database's version is its position
in this list, on both engines.
"""

from __future__ import annotations

from bot.admin import schema as admin
from bot.boards import schema as boards
from bot.continuity import schema as continuity
from bot.credits import schema as credits
from bot.fleet import schema as fleet
from bot.moderation import schema as moderation
from bot.presets import schema as presets
from bot.privacy import schema as privacy
from bot.storage import Migration, Store
from bot.storage import open_store as _open_store

MIGRATIONS: tuple[Migration, ...] = (
    credits.CREDITS,        # 1
    moderation.MODERATION,  # 2
    boards.BOARDS,          # 3
    admin.ADMIN,            # 4
    fleet.SHARDS,           # 5
    continuity.CONTINUITY,  # 6
    presets.PRESETS,        # 7
    boards.FOOTPRINT,       # 8
    credits.DELETED,        # 9
    privacy.RETENTION,      # 10
    admin.LANGUAGE,         # 11
    continuity.IMAGES,      # 12
)

# Every table, in the order a copy must fill them (the ledger refers to jobs, a board's
# items to the board).
TABLES: tuple[str, ...] = (
    *credits.TABLES, *moderation.TABLES, *boards.TABLES, *admin.TABLES,
    *continuity.TABLES, *presets.TABLES, *privacy.TABLES,
)


async def open_store(url: str) -> Store:
    """Opens (and migrates to the end of `MIGRATIONS`) the database DATABASE_URL names."""
    return await _open_store(url, MIGRATIONS)
