"""bot/boards/export.py: the CSV beside a contact sheet."""

from __future__ import annotations

import csv
import dataclasses
import io

from hypothesis import given
from hypothesis import strategies as st

from bot.boards.export import COLUMNS, SheetRow, read_csv, sheet_csv

LINK = "https://discord.com/channels/1/2/3"
AWKWARD = [
    'a lighthouse, at dusk, "cinematic"',
    "two lines\nof prompt\r\nand a CR\ralone",
    '"quoted from the start',
    "=HYPERLINK(\"x\"), +1, -2, @3",
    "  spaces kept  ",
    "émoji 🌊 and 日本語",
    "",
]


def row(number: int, prompt: str, seed: int | None = 42) -> SheetRow:
    return SheetRow(number=number, prompt=prompt, model="flux-dev", seed=seed,
                    author_id=111111111111111111, added_by_id=222222222222222222, link=LINK)


def test_the_columns_are_the_contracted_ones_in_order() -> None:
    assert COLUMNS == ("number", "prompt", "model", "seed", "author_id", "added_by_id", "link")
    assert tuple(f.name for f in dataclasses.fields(SheetRow)) == COLUMNS


def test_awkward_prompts_round_trip_through_any_csv_reader() -> None:
    rows = [row(n, prompt, seed=None if n == 3 else n * 1000)
            for n, prompt in enumerate(AWKWARD, start=1)]

    data = sheet_csv(rows)

    assert read_csv(data) == rows
    # A spreadsheet or script with the standard csv module reads the same values, but for
    # the one a spreadsheet would run as a formula (bot/spreadsheet.py).
    records = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert [r["prompt"] for r in records] == [
        "'" + p if p.startswith("=") else p for p in AWKWARD]
    assert records[0] == {"number": "1", "prompt": AWKWARD[0], "model": "flux-dev",
                          "seed": "1000", "author_id": "111111111111111111",
                          "added_by_id": "222222222222222222", "link": LINK}
    assert records[2]["seed"] == ""


def test_a_prompt_written_as_a_formula_is_text_in_the_file() -> None:
    prompt = '=HYPERLINK("http://x","y")'

    data = sheet_csv([row(1, prompt), row(2, "-5 cats"), row(3, "@sum(1)")])

    records = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert [r["prompt"] for r in records] == [
        "'" + prompt, "'-5 cats", "'@sum(1)"]
    # The numbers stay numbers.
    assert [r["number"] for r in records] == ["1", "2", "3"]
    assert records[0]["seed"] == "42"


def test_the_file_starts_with_the_header_and_uses_crlf() -> None:
    data = sheet_csv([row(1, "a cat")])

    assert data.startswith(b"number,prompt,model,seed,author_id,added_by_id,link\r\n")
    assert data.endswith(b"\r\n")


def test_a_board_with_no_items_gives_just_the_header() -> None:
    assert read_csv(sheet_csv([])) == []


@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200))
def test_any_prompt_round_trips(prompt: str) -> None:
    assert read_csv(sheet_csv([row(7, prompt)]))[0].prompt == prompt
