"""The CSV beside a contact sheet: one row per numbered cell, for a spreadsheet or a
script to take the board's prompts and seeds from."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import astuple, dataclass

from bot import spreadsheet

# The contract of the export (SPEC section 9): the order and names of SheetRow's fields.
COLUMNS = ("number", "prompt", "model", "seed", "author_id", "added_by_id", "link")


@dataclass(frozen=True, slots=True)
class SheetRow:
    """What the sheet's CSV says of one item. `seed` is None where the model took none;
    `link` is the jump link to the original message."""

    number: int
    prompt: str
    model: str
    seed: int | None
    author_id: int
    added_by_id: int
    link: str


def sheet_csv(rows: Iterable[SheetRow]) -> bytes:
    """The rows as UTF-8 CSV (RFC 4180: CRLF line ends, fields with commas, quotes or
    line breaks quoted), with a header of COLUMNS. A prompt that a spreadsheet would run
    as a formula is escaped (bot/spreadsheet.py); it comes back from `read_csv` exactly
    as it went in."""
    out = io.StringIO(newline="")
    writer = spreadsheet.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow("" if value is None else value for value in astuple(row))
    return out.getvalue().encode("utf-8")


def read_csv(data: bytes) -> list[SheetRow]:
    """The rows of a `sheet_csv` file. Raises ValueError when it is not one."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"not a sheet CSV: columns {reader.fieldnames}")
    return [
        SheetRow(
            number=int(record["number"]),
            prompt=spreadsheet.unescape(record["prompt"]),
            model=record["model"],
            seed=int(record["seed"]) if record["seed"] else None,
            author_id=int(record["author_id"]),
            added_by_id=int(record["added_by_id"]),
            link=record["link"],
        )
        for record in reader
    ]
