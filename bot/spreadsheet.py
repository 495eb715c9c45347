"""The one CSV writer of the bot: text cells are written so that no spreadsheet runs them.

A spreadsheet that opens a CSV treats a cell starting with `=`, `+`, `-` or `@` as a
formula (and some strip a leading tab or carriage return first), so a prompt such as
`=HYPERLINK("http://x","y")` in a board sheet, or a grant reason `=cmd|' /C calc'!A0` in a
credit report, would run on the reader's machine. Such a text cell gets a leading `'`
(OWASP's rule for CSV injection), which spreadsheets show as text. Only text is escaped:
numbers (a ledger `delta` of -5) stay numbers. A text cell that itself starts with `'` is
escaped too, so `unescape` gives back exactly what was written.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
_ESCAPED_STARTS = (*FORMULA_STARTS, ESCAPE)


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def escape(value: object) -> object:
    """The value as it goes into a cell: text that a spreadsheet would read as a formula
    gets a leading `'`; anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(_ESCAPED_STARTS):
        return ESCAPE + value
    return value


def unescape(cell: str) -> str:
    """The text of a cell written by `escape`, as it was before."""
    if cell.startswith(ESCAPE) and cell[1:].startswith(_ESCAPED_STARTS):
        return cell[1:]
    return cell


class SafeWriter:
    """`csv.writer` whose text cells go through `escape`."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([escape(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: _Writable, **options: Any) -> SafeWriter:
    """A CSV writer on `out` (options as `csv.writer` takes them) that escapes text cells."""
    return SafeWriter(out, **options)
