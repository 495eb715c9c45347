"""Copies every row of one store into another, empty one, of any engine: how an operator
moves from SQLite to PostgreSQL (`python -m bot migrate-to postgresql://…`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot.storage.base import Store, Transaction

log = logging.getLogger(__name__)


class CopyRefused(Exception):
    """The copy would lose or mix data; nothing was written."""


async def _snapshot(tx: Transaction, tables: Sequence[str]
                    ) -> dict[str, list[tuple[Any, ...]]]:
    return {table: await tx.dump(table) for table in tables}


async def row_counts(store: Store, tables: Sequence[str]) -> dict[str, int]:
    """How many rows each of `tables` holds."""
    snapshot = await store.read(lambda tx: _snapshot(tx, tables))
    return {table: len(rows) for table, rows in snapshot.items()}


async def copy_rows(source: Store, target: Store, tables: Sequence[str]) -> dict[str, int]:
    """Copies `tables` (in the order a copy must fill them) from one consistent snapshot
    of `source` into `target`, in one transaction there; returns the rows copied per
    table. Refuses a target with rows."""
    # The whole database passes through memory once: fine for the sizes SQLite serves.
    snapshot = await source.read(lambda tx: _snapshot(tx, tables))

    async def load(tx: Transaction) -> None:
        for table in tables:
            if await tx.dump(table):
                raise CopyRefused(f"the target database already has rows in {table}; "
                                  "copy into an empty database")
        for table, rows in snapshot.items():
            if rows:
                await tx.load(table, rows)

    await target.write(load)
    copied = {table: len(rows) for table, rows in snapshot.items()}
    log.info("copied %s", ", ".join(f"{n} {table}" for table, n in copied.items()))
    return copied
