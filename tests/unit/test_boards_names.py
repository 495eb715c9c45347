"""bot/boards/names.py: valid board names, when two are the same, the thread's name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.boards.names import (
    BoardNameError,
    check_new_name,
    clean_name,
    name_key,
    thread_name,
)
from bot.errors import UserError


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(("raw", "name"), [
    ("  Brand refs  ", "Brand refs"),
    ("Spring\n  campaign", "Spring campaign"),
    ("x", "x"),
    ("a" * 50, "a" * 50),
    ("  " + "b" * 50 + "\t", "b" * 50),
    ("Cafe\u0301", "Café"),  # typed decomposed, shown composed
])
def test_a_name_is_trimmed_to_what_is_shown(raw: str, name: str) -> None:
    assert clean_name(raw) == name


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", "\u200b", "\u200b \u200b"])
def test_a_name_with_nothing_visible_is_refused(raw: str) -> None:
    with pytest.raises(BoardNameError, match="1 to 50"):
        clean_name(raw)


def test_a_name_over_50_characters_is_refused_with_its_length() -> None:
    with pytest.raises(BoardNameError, match="at most 50 characters; this one has 51"):
        clean_name("a" * 51)


def test_the_refusal_is_a_message_for_the_member() -> None:
    assert issubclass(BoardNameError, UserError)


@pytest.mark.parametrize(("a", "b"), [
    ("Mood", "MOOD"),
    ("Mood", "\uff2d\uff4f\uff4f\uff44"),  # full-width letters
    ("Straße", "STRASSE"),
    ("\ufb01re", "FIRE"),  # the fi ligature
    ("Café", "CAFE\u0301"),
    ("Spring  campaign", "spring campaign"),
])
def test_names_that_differ_only_in_case_or_form_have_one_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [("Mood", "Mood 2"), ("Cafe", "Café"), ("a b", "ab")])
def test_different_names_have_different_keys(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_a_new_name_must_not_match_another_board_ignoring_case() -> None:
    with pytest.raises(BoardNameError, match="already has a board called “Brand Refs”"):
        check_new_name("  brand REFS ", ["Logo", "Brand Refs"])


def test_a_new_name_unlike_the_others_is_returned_clean() -> None:
    assert check_new_name(" Logo ideas ", ["Logo", "Brand Refs"]) == "Logo ideas"


def test_the_thread_is_named_after_the_board() -> None:
    assert thread_name("Brand refs") == "Brand refs"
    assert thread_name("🌊" * 50) == "🌊" * 50  # 100 UTF-16 units: just fits


def test_a_thread_name_with_a_long_prefix_is_cut_to_discords_limit() -> None:
    name = thread_name("x" * 50, prefix="Moodboard of the spring campaign team " * 2)

    assert utf16(name) <= 100
    assert name.endswith("…")
    assert name.startswith("Moodboard of the spring campaign team")


def test_a_thread_name_is_never_cut_inside_a_character() -> None:
    technologist = "👩\u200d💻"  # one emoji of three code points, five UTF-16 units
    for pad in range(0, 8):
        name = thread_name("y" * 50, prefix="p" * pad + technologist * 20)
        assert utf16(name) <= 100
        body = name.removesuffix("…")
        assert not body.endswith("\u200d")
        assert body.replace(technologist, "").strip("p") == "", body


@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80))
def test_any_input_is_refused_or_becomes_a_stable_name_that_fits_a_thread(raw: str) -> None:
    try:
        name = clean_name(raw)
    except BoardNameError:
        return
    assert 1 <= len(name) <= 50
    assert name == name.strip()
    assert clean_name(name) == name
    assert utf16(thread_name(name)) <= 100
