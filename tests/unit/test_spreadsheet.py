"""bot/spreadsheet.py: the CSV writer that keeps typed text from running as a formula."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from bot import spreadsheet


def written(*rows: list[object]) -> list[list[str]]:
    out = io.StringIO(newline="")
    spreadsheet.writer(out).writerows(rows)
    return list(csv.reader(io.StringIO(out.getvalue(), newline="")))


def test_text_a_spreadsheet_would_run_gets_a_leading_quote() -> None:
    cells = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'=1"]

    assert written(cells) == [["'" + cell for cell in cells]]


def test_numbers_and_plain_text_are_written_as_they_are() -> None:
    assert written([-5, 3, 0, 2.5, "a castle", "", "1=1", "x-y"]) == [
        ["-5", "3", "0", "2.5", "a castle", "", "1=1", "x-y"]]


@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=50))
def test_any_text_comes_back_and_never_starts_a_formula(text: str) -> None:
    ((cell,),) = written([text])
    assert spreadsheet.unescape(cell) == text
    assert not cell.startswith(spreadsheet.FORMULA_STARTS)
