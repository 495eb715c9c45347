"""Fuzzing the blocklist (hypothesis): no prompt crashes the check or holds it for long, no
entry crashes the parser, and a blocked word stays blocked through any mix of tricks.

The time bound (50 ms a check) is a safety property, not a benchmark: a sound check takes
well under a millisecond, and only a runaway (a backtracking regex, a quadratic loop)
comes near it. It is measured in CPU time, so a busy machine does not fail it. The
benchmark is bench/blocklist.py.
"""

from __future__ import annotations

import time
import unicodedata

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.moderation import Blocklist, EntryRefused, parse_entry
from bot.moderation.text import fold, tokens

LIMIT = 0.05
ENTRIES = [
    "bad", "red fox", "ｆｕｌｌ", "café", "привет", "猫", "🍆", "b a d", "x", "two  words here",
    "/b[a4]d+y?/", "/x+y/", r"/\s+!$/", "/(a|b|ab)*c/", r"/(\w+\s?)+z/", "/(.*,)*q/",
]
BLOCKLIST = Blocklist([parse_entry(e) for e in ENTRIES])

# Characters that stress the folding and the splitting: invisible ones, marks, look-alikes,
# gaps, scripts without spaces, and the letters the entries are made of.
TRICKY = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\ufe0f\u202e\U000e0061\u3164\u115f"
    "\u0301\u0338\u20dd ,.-_!\t\n/\\*+?()[]{}|^$"
    "abdxyzqc4 ＢＡＤ ａｂｃ ﬁ ß İ ı аеорс αο 猫一只 ไม่ 한국 🍆❤️"
)
tricky_text = st.text(alphabet=st.sampled_from(TRICKY), max_size=2000)
any_text = st.text(max_size=2000)
# Long runs of one character: the input that exposes backtracking and quadratic loops.
runs = st.builds(lambda c, n, end: c * n + end, st.sampled_from("xab ,\u200b4z"),
                 st.integers(0, 2000), st.sampled_from(["", "!", "y", "z", "\x00"]))


def timed_check(blocklist: Blocklist, prompt: str) -> None:
    # CPU time of this thread, not the wall clock: a runaway check burns CPU, while the
    # other work on a shared machine only stretches the wall clock.
    started = time.thread_time()
    blocklist.check(prompt)
    elapsed = time.thread_time() - started
    assert elapsed < LIMIT, f"{elapsed * 1000:.1f} ms on a {len(prompt)}-character prompt"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(prompt=any_text | tricky_text | runs)
def test_no_prompt_crashes_the_check_or_holds_it_long(prompt: str) -> None:
    timed_check(BLOCKLIST, prompt)


@settings(max_examples=200, deadline=None)
@given(raw=st.text(max_size=60) | st.text(alphabet=st.sampled_from(TRICKY), max_size=60))
def test_any_entry_is_accepted_or_refused_with_a_message(raw: str) -> None:
    try:
        entry = parse_entry(raw)
    except EntryRefused as refused:
        assert refused.message
    else:
        assert entry.text == raw.strip()


# Random regex text, and patterns put together from pieces known to backtrack.
PIECES = ["(a+)+", "(a|aa)+", "(.*?,){11}", "x+", r"\s*", r"(\w+\s?)+", "$", "b", "(.*)*",
          "[ab]+", "(x+x+)+", "^", "y", ",", r"\d*"]
regex_source = st.text(alphabet=st.sampled_from("ab,x.*+?|()[]{}^$\\123dws!"), min_size=1,
                       max_size=24) | st.lists(st.sampled_from(PIECES), min_size=1,
                                               max_size=4).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=regex_source, data=st.data())
def test_no_regex_that_was_accepted_holds_a_check_long(source: str, data: st.DataObject
                                                      ) -> None:
    try:
        entry = parse_entry(f"/{source}/")
    except EntryRefused:
        assume(False)
        return
    blocklist = Blocklist([entry])
    # Hostile prompts for this pattern: long runs of its own characters, then one that
    # makes the match fail at the very end.
    own = sorted({c for c in source.lower() if c not in "\\()[]{}*+?|^$."} | {"a"})
    hostile = st.builds(lambda unit, n, end: (unit * n)[:2000] + end,
                        st.lists(st.sampled_from(own), min_size=1, max_size=3).map("".join),
                        st.integers(0, 2000), st.sampled_from(["", "!", "\x00"]))
    for prompt in data.draw(st.lists(hostile | tricky_text | runs, min_size=1, max_size=3)):
        timed_check(blocklist, prompt)


def disguise(word: str, data: st.DataObject) -> str:
    """The word as a member trying to get it past a filter might type it."""
    out = []
    for char in word:
        if data.draw(st.booleans(), label="upper"):
            char = char.upper()
        if data.draw(st.booleans(), label="fullwidth") and "a" <= char.lower() <= "z":
            char = chr(ord(char) - ord("a" if char.islower() else "A") + ord("ａ"))
        if data.draw(st.booleans(), label="accent"):
            char += "\u0301"
        out.append(char)
        out.append(data.draw(st.sampled_from(["", "", "\u200b", "\u200d", "\u00ad", "\ufe0f"]),
                             label="invisible"))
    return "".join(out)


filler = st.text(alphabet="qwertyuiop lkjhg", min_size=0, max_size=40).map(
    lambda s: " ".join(w for w in s.split() if len(w) > 1))


@given(before=filler, after=filler, data=st.data())
def test_a_disguised_word_is_still_found(before: str, after: str, data: st.DataObject) -> None:
    word = data.draw(st.sampled_from(["bad", "cafe"]))
    prompt = f"{before} {disguise(word, data)}, {after}"
    hit = BLOCKLIST.check(prompt)
    assert hit is not None, ascii(prompt)
    assert unicodedata.normalize("NFD", hit.term).startswith(word[:3])


@given(before=filler, after=filler, gap=st.text(alphabet=" ,.-_!?\n\t", min_size=1, max_size=5),
       data=st.data())
def test_a_phrase_is_found_across_any_gap(before: str, after: str, gap: str,
                                          data: st.DataObject) -> None:
    prompt = f"{before} {disguise('red', data)}{gap}{disguise('fox', data)} {after}"
    hit = BLOCKLIST.check(prompt)
    assert hit is not None and hit.term == "red fox", ascii(prompt)


@given(prompt=st.text(alphabet="qwertyuiop lkjhg,.\n", max_size=2000))
def test_text_without_the_entries_letters_is_never_blocked(prompt: str) -> None:
    # None of the letters of "bad", "red fox", "cafe", "x"... except in longer words.
    only_words = Blocklist([parse_entry(e) for e in ("bad", "red fox", "cafe", "x", "q")])
    hit = only_words.check(prompt)
    assert hit is None or hit.term == "q"


@given(prompt=st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_ascii_text_is_split_as_the_general_path_splits_it(prompt: str) -> None:
    # ASCII takes a faster path; a non-ASCII word after it sends it down the general one.
    assert tokens(fold(prompt + " é")) == [*tokens(fold(prompt)), "e"]


@settings(max_examples=10, deadline=None)
@given(first=st.sampled_from(["the", "a", "of"]), repeats=st.integers(300, 600))
def test_many_phrases_with_the_same_first_word_do_not_slow_the_check(first: str,
                                                                     repeats: int) -> None:
    # A list where thousands of phrases start with a common word, and a prompt full of it:
    # each occurrence must not cost a comparison with every one of those phrases.
    shared = Blocklist([parse_entry(f"{first} thing{n}") for n in range(5000)])
    prompt = f"{first} " * repeats + "end"
    assert shared.check(prompt) is None
    timed_check(shared, prompt)
    assert shared.check(prompt + f" {first} thing4999") is not None
