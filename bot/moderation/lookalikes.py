"""Letters that look like Latin ones, and digits or signs standing for letters: the tables
`text` folds a prompt with, built once when the module is imported.

- `ENCLOSED`: letters drawn in boxes or circles that NFKC leaves alone or breaks apart
  (negative circled and squared letters, regional indicators, parenthesized letters),
  applied before NFKC;
- `LATIN_TWINS`: every character that Unicode's confusables data (UTS #39, through the
  `confusable-homoglyphs` package, which ships it) lists as looking like a Latin letter,
  with Latin small capitals the data leaves out ("ɴ"), keyed by the folded character.
  Applied only to words that also hold a Latin letter (see `text.tokens`);
- `leet_view`: the words with digits and signs read as letters ("b4d", "n00d", "$ex").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping

import regex
from confusable_homoglyphs.utils import load as load_data

# Blocks holding letters drawn in shapes, and Latin letters with no confusables entry.
_ENCLOSED_BLOCKS = (range(0x249C, 0x24B6), range(0x1F110, 0x1F12A), range(0x1F150, 0x1F16A),
                    range(0x1F170, 0x1F18A), range(0x1F1E6, 0x1F200))
_EXTRA_LATIN_BLOCKS = (range(0x0250, 0x02B0), range(0x1D00, 0x1DC0), range(0xA720, 0xA800),
                       range(0xAB30, 0xAB70), range(0x1DF00, 0x1E000))
_LETTER_NAME = re.compile(r"(?:LATIN|REGIONAL INDICATOR SYMBOL) (?:CAPITAL |SMALL )?"
                          r"(?:LETTER )?(?:SMALL CAPITAL )?([A-Z])$")
# How far through the confusables graph a character may be from its Latin twin ("ᴅ" is
# listed beside Cherokee "ꭰ", whose capital is listed beside "D").
_MAX_HOPS = 4


def _names(blocks: tuple[range, ...]) -> Iterator[tuple[str, str]]:
    for block in blocks:
        for code in block:
            char = chr(code)
            found = _LETTER_NAME.search(unicodedata.name(char, ""))
            if found:
                yield char, found.group(1).lower()


def _latin_twin(char: str, graph: Mapping[str, list[str]], by_case: bool) -> str | None:
    """The ASCII letter nearest to `char` in the confusables graph, if one is near."""
    seen, frontier = {char}, [char]
    for _ in range(_MAX_HOPS):
        found: set[str] = set()
        reached: list[str] = []
        for node in frontier:
            near = list(graph.get(node, ()))
            if by_case:
                near += [c for c in (node.upper(), node.lower()) if len(c) == 1]
            for other in near:
                if other in seen:
                    continue
                seen.add(other)
                if other.isascii():
                    # Never through ASCII: "5" is listed beside "S", not a letter's twin.
                    if other.isalpha():
                        found.add(other.lower())
                    continue
                reached.append(other)
        if found:
            # Ties are rare; the first letter of the alphabet keeps the table stable.
            return min(found)
        frontier = reached
    return None


def _fold_char(char: str) -> str:
    return unicodedata.normalize("NFKC", char).casefold()


def _build_twins() -> dict[int, str]:
    # Read here rather than through `confusable_homoglyphs.confusables`, which keeps the
    # whole data (~20 MB of objects) for the life of the process; only the table is kept.
    data: Mapping[str, list[dict[str, str]]] = load_data("confusables.json")
    graph = {key: [e["c"] for e in listed if len(e["c"]) == 1]
             for key, listed in data.items() if len(key) == 1}
    twins: dict[str, str] = {}
    # Direct listings first; a character reached only through a change of case after.
    for by_case in (False, True):
        for char in graph:
            if char.isascii():
                continue
            twin = _latin_twin(char, graph, by_case)
            folded = _fold_char(char)
            if twin is not None and len(folded) == 1 and not folded.isascii():
                twins.setdefault(folded, twin)
    for char, letter in _names(_EXTRA_LATIN_BLOCKS):
        folded = _fold_char(char)
        if len(folded) == 1 and not folded.isascii():
            twins.setdefault(folded, letter)
    return {ord(char): twin for char, twin in twins.items()}


ENCLOSED: dict[int, str] = {ord(char): letter for char, letter in _names(_ENCLOSED_BLOCKS)}
LATIN_TWINS: dict[int, str] = _build_twins()

# Digits and signs as letters. "1" is read as "i" (n1pple), "|" as "l".
_LEET_DIGITS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                              "8": "b", "9": "g"})
_LEET_SIGNS = str.maketrans({"$": "s", "@": "a", "!": "i", "|": "l"})
LEET_HINT = re.compile(r"[0-9$@!|]")
# A sign inside a word ("sh!t"), or "$" and "@" at a word's edge ("$ex", "a$$", "@ss"):
# not the "!" that ends a sentence.
_SIGNS_IN_WORDS = regex.compile(
    r"(?<=[^\W_])[$@!|]+(?=[^\W_])|[$@]+(?=\p{L})|(?<=\p{L})[$@]+")


def leet_text(folded: str) -> str:
    """The folded text with the signs that stand inside words read as letters."""
    return _SIGNS_IN_WORDS.sub(lambda m: m.group().translate(_LEET_SIGNS), folded)


def leet_words(words: list[str]) -> list[str] | None:
    """The words with the digits of words that also hold letters read as letters, or None
    when no word changes. A word made only of digits ("1990") stays a number."""
    changed = False
    read: list[str] = []
    for word in words:
        if not word.isalpha() and not word.isdigit() and LEET_HINT.search(word):
            word = word.translate(_LEET_DIGITS)
            changed = True
        read.append(word)
    return read if changed else None
