"""Regex blocklist entries: compiled with a safe engine and tried against hostile input
before they are accepted.

Entries are compiled with the `regex` package, not the standard library's `re`, because
`regex` takes a `timeout` on every search: no prompt can hold the event loop for longer
than the budget, whatever the pattern. That bounds the damage; the checks here keep it
from happening. A pattern is refused when it is not valid, when it matches an empty
prompt (it would block everything), or when it runs past `PROBE_TIMEOUT` on any of a set
of adversarial strings built from its own characters, the shape that makes nested
repetition such as `(a+)+$` or `(.*?,){11}P` backtrack catastrophically.

A pattern that is only quadratic on hostile input (`x+y` on "xxxx…x") is accepted: such
patterns are common and useful, and on the longest prompts `MATCH_BUDGET` bounds them. A
prompt that exhausts the budget is refused rather than let through (see `Blocklist`).
"""

from __future__ import annotations

import itertools
import time
from typing import TypeAlias

import regex

from bot.errors import UserError
from bot.i18n import tr

MAX_PATTERN_LENGTH = 200
# How long one adversarial probe may take at add time. A sound pattern needs microseconds.
PROBE_TIMEOUT = 0.05
# How long all of a list's regexes together may take on one prompt.
MATCH_BUDGET = 0.005
# Long enough for exponential and cubic backtracking to show, short enough that a merely
# quadratic pattern such as `x+y` (common, and bounded by MATCH_BUDGET) passes.
PROBE_LENGTH = 500
_FILLERS = ("a", "0", " ", ".", "\t", "x")
_ENDINGS = ("", "!", "\x00", "\n")
_SYNTAX = set("\\^$.|?*+()[]{}")


class EntryRefused(UserError):
    """A blocklist entry that cannot be added; the message says why."""


Pattern: TypeAlias = "regex.Pattern[str]"


def compile_pattern(source: str, *, probe: bool = True) -> Pattern:
    """Compiles the inside of a `/regex/` entry or raises EntryRefused.

    The pattern runs case-insensitive with full case folding ("ß" matches "ss") on the
    folded prompt; the caller folds the pattern first (`text.fold_pattern`). The probes
    take up to about a second for a pattern that is refused: call this off the event loop.
    """
    shown = f"`/{source}/`"
    if not source:
        raise EntryRefused(tr("An empty regex would block every prompt. Put a pattern between "
                              "the slashes."))
    if len(source) > MAX_PATTERN_LENGTH:
        raise EntryRefused(tr("{shown}…/` is too long: a regex may have at most "
                              "{max_pattern_length} characters.",
                              shown=shown[:40], max_pattern_length=MAX_PATTERN_LENGTH))
    try:
        pattern = regex.compile(source, regex.IGNORECASE | regex.FULLCASE | regex.VERSION0)
    except (regex.error, OverflowError, RecursionError) as exc:
        message = getattr(exc, "msg", None) or "it cannot be compiled"
        raise EntryRefused(tr("{shown} is not a valid regex: {message}.",
                              shown=shown, message=message)) from None
    try:
        empty = pattern.search("", timeout=PROBE_TIMEOUT)
    except TimeoutError:
        empty = None
    if empty is not None:
        raise EntryRefused(tr("{shown} matches an empty prompt, so it would block every prompt. "
                              "Make it require at least one character.",
                              shown=shown))
    if probe and any(_too_slow(pattern, hostile) for hostile in probes(source)):
        raise EntryRefused(
            tr("{shown} could take too long on some prompts (catastrophic backtracking, usually "
               "a repetition inside a repetition such as `(a+)+`). Rewrite it without the nested"
               " repetition.",
               shown=shown)
        )
    return pattern


def _too_slow(pattern: Pattern, hostile: str) -> bool:
    # Judged by the CPU time this thread spent, so that a busy machine does not refuse a
    # sound pattern; a probe that ran out of time without using the CPU is tried again.
    # Half the timeout is enough to refuse: the budget at check time is far smaller.
    for _ in range(2):
        started = time.thread_time()
        try:
            pattern.search(hostile, timeout=PROBE_TIMEOUT)
            finished = True
        except TimeoutError:
            finished = False
        if time.thread_time() - started > PROBE_TIMEOUT / 2:
            return True
        if finished:
            return False
    return True


def probes(source: str) -> list[str]:
    """Long strings made of the pattern's own characters, and of common fillers, each
    followed by a character that makes the match fail at the very end: the input that
    makes a backtracking engine try every way of splitting the run."""
    literals = [c for c in dict.fromkeys(source.casefold()) if c not in _SYNTAX]
    units = list(dict.fromkeys([*literals[:12], *_FILLERS]))
    # Pairs catch alternations that overlap, such as `(ab|a)(b|c)*`.
    pairs = ["".join(pair) for pair in itertools.islice(itertools.pairwise(literals), 8)]
    strings: list[str] = []
    for unit in [*units, *pairs]:
        run = unit * (PROBE_LENGTH // len(unit))
        strings.extend(run + ending for ending in _ENDINGS)
    return strings
