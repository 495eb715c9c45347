"""The `{a, b, c}` permutation rules of /imagine prompts: what expands, what is literal,
what is refused (and that a refusal says how to write it)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import UserError
from bot.permutations import PermutationError, Variant, check_jobs, parse


def prompts(text: str) -> list[str]:
    return [v.prompt for v in parse(text).variants()]


def test_each_combination_is_a_prompt_first_group_slowest() -> None:
    assert prompts("a {red, blue} {cat,dog}") == [
        "a red cat", "a red dog", "a blue cat", "a blue dog"]
    assert [v.label for v in parse("a {red, blue} {cat,dog}").variants()][1] == "red · dog"


def test_a_prompt_without_groups_is_one_variant_as_typed() -> None:
    template = parse("a cat, sitting\\ on a mat")
    assert template.combinations == 1
    assert list(template.variants()) == [Variant("a cat, sitting\\ on a mat", ())]


def test_escapes_are_literal_characters() -> None:
    assert prompts(r"a \{json\} {x\, y, z} back\\slash") == [
        "a {json} x, y backslash".replace("backslash", "back\\slash"),
        "a {json} z back\\slash",
    ]


def test_options_are_trimmed_and_a_single_option_group_is_one_prompt() -> None:
    assert prompts("{  red  } car") == ["red car"]


@pytest.mark.parametrize(("prompt", "words"), [
    ("a {red, blue", "never closed"),
    ("a red} car", "closes no group"),
    ("a {red, {blue, green}}", "group inside a group"),
    ("a {red,, blue}", "empty option"),
    ("a {} car", "empty option"),
    ("a { , blue} car", "empty option"),
    ("a {red, blue,} car", "empty option"),
    ("a {Red, red} car", "same option twice"),
])
def test_what_cannot_be_read_is_refused_with_the_way_to_write_it(prompt: str,
                                                                  words: str) -> None:
    with pytest.raises(PermutationError, match=words) as refused:
        parse(prompt)
    assert isinstance(refused.value, UserError)  # answered privately, as it is


def test_the_limit_counts_count_and_names_the_combinations() -> None:
    template = parse("{a, b, c} {d, e, f}")
    assert check_jobs(parse("{a, b} {c, d}"), 2, 8) == 8
    with pytest.raises(PermutationError, match="9 combinations") as refused:
        check_jobs(template, 1, 8)
    assert "nothing was charged" in refused.value.message
    with pytest.raises(PermutationError, match="4 combinations × 3 images each: 12 jobs"):
        check_jobs(parse("{a, b} {c, d}"), 3, 8)


def test_the_limit_is_judged_before_anything_is_expanded() -> None:
    # 10**30 combinations: counted, never listed.
    huge = parse(" ".join("{a, b, c, d, e, f, g, h, i, j}" for _ in range(30)))
    with pytest.raises(PermutationError, match=str(10**30)):
        check_jobs(huge, 1, 8)


# Text with no special characters, and options that are non-empty and distinct.
_plain = st.text(st.characters(blacklist_characters="{},\\", blacklist_categories=("Cs",)),
                 max_size=12)
_option = _plain.map(str.strip).filter(bool)
_group = st.lists(_option, min_size=1, max_size=4, unique_by=str.casefold)


@given(st.lists(st.tuples(_plain, _group), max_size=3), _plain)
def test_every_combination_is_made_once_in_order(pieces: list[tuple[str, list[str]]],
                                                  tail: str) -> None:
    prompt = "".join(f"{text}{{{', '.join(group)}}}" for text, group in pieces) + tail
    variants = list(parse(prompt).variants())
    expected = 1
    for _, group in pieces:
        expected *= len(group)
    assert len(variants) == expected == parse(prompt).combinations
    assert len({v.choices for v in variants}) == expected
    for variant in variants:
        rebuilt = "".join(text + choice for (text, _), choice in zip(pieces, variant.choices,
                                                                    strict=True))
        assert variant.prompt == rebuilt + tail


@given(st.text(max_size=40))
def test_any_text_parses_or_is_refused_never_crashes(prompt: str) -> None:
    try:
        template = parse(prompt)
    except PermutationError as refused:
        assert refused.message
        return
    for variant in template.variants():
        assert "{" not in variant.prompt or "\\{" in prompt


@given(_plain)
def test_escaped_text_comes_back_as_typed(text: str) -> None:
    escaped = text.replace("x", "\\{").replace("y", "\\}")
    assert prompts(escaped) == [text.replace("x", "{").replace("y", "}")]
