"""How prompts and blocklist entries are folded before they are compared.

Both sides go through the same `fold` and `tokens`, so an entry matches whatever a
member types that looks the same or differs only in ways a reader would not see:

- NFKC: fullwidth letters, ligatures, superscripts, circled letters and the like become
  their plain forms (fullwidth "bad", the "fi" ligature, circled "bad");
- case is folded (`str.casefold`, so "STRASSE" and "straße" are one word);
- invisible characters are removed: format characters (category Cf: zero-width space,
  joiners, bidi marks, soft hyphen, tag characters), every Default_Ignorable_Code_Point
  (variation selectors, the combining grapheme joiner, Hangul fillers);
- combining marks are removed, so accents and "Zalgo" marks piled on letters do not hide
  a word ("bád" and "b̸a̸d̸" fold to "bad"). The same folding applies to the entries, so
  an entry written with an accent matches with or without it;
- letters drawn in shapes that NFKC leaves alone (negative circled and squared letters,
  regional indicators) become their letters (bot/moderation/lookalikes.py).

Look-alike letters: a word that holds a Latin letter has every character Unicode's
confusables data lists as looking like a Latin letter read as that letter: "nipple"
typed with a dotless i, "nude" with an Armenian u or small capitals, "blood" with
Armenian o's, "bad" with a Cyrillic a all fold to plain Latin: mixing scripts inside one
word is a trick, not writing. A word typed wholly in another script stays as it is, so
Russian, Greek or Armenian text is never read as English.

Digits and signs standing for letters ("b4d", "n00d", "$ex") are a second look (`leet`):
the prompt's words are read once more with them as letters. Entries with digits match as
written; a word of digits alone stays a number.

Words are runs of letters and digits; whitespace, punctuation, "_" and math, currency and
modifier signs separate them. Each pictographic symbol (an emoji, say) is a word of its
own. Scripts written without
spaces (Han, kana, Thai, Lao, Khmer, Myanmar) have no word boundaries to find, so each of
their characters is a word of its own and an entry in them matches as a run of characters.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

import regex

from bot.moderation import lookalikes

# Control characters other than the whitespace ones (tab, newlines) are invisible too.
_CONTROLS = r"\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f"
_INVISIBLE = regex.compile(
    rf"[{_CONTROLS}\p{{Cf}}\p{{Default_Ignorable_Code_Point}}\p{{Mn}}\p{{Me}}]+"
)
_ASCII_INVISIBLE = dict.fromkeys([*range(0x00, 0x09), *range(0x0e, 0x20), 0x7f])
_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
# A word, one character of a script without spaces, or one pictographic symbol (emoji).
# What is left between them (whitespace, punctuation, "_", math and currency signs) is
# the gap phrases match across.
_TOKEN = regex.compile(rf"[^\W_{_UNSPACED}]+|[{_UNSPACED}]|\p{{So}}")
_UNSPACED_CHAR = regex.compile(rf"[{_UNSPACED}]")
_LATIN = regex.compile(r"\p{Latin}")
# The same split for ASCII text (which has no pictographs), with the standard library's
# faster engine.
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """The text as it is compared: NFKC, case-folded, without invisible characters and
    combining marks."""
    if text.isascii():
        # NFKC leaves ASCII as it is, and only its control characters are invisible.
        return text.lower().translate(_ASCII_INVISIBLE)
    text = unicodedata.normalize("NFKC", text.translate(lookalikes.ENCLOSED)).casefold()
    # Decompose so that accents become separate marks that can be dropped, then compose
    # again (Hangul syllables decompose into letters, not marks, and come back whole).
    text = _INVISIBLE.sub("", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFKC", text)


def fold_pattern(source: str) -> str:
    """A regex written by a moderator, folded like the prompts it will run on but keeping
    its case (`\\W` is not `\\w`; the pattern is compiled case-insensitive instead): so
    "/café/" looks for "cafe", as the folded prompt spells it."""
    if source.isascii():
        return source.translate(_ASCII_INVISIBLE)
    source = unicodedata.normalize("NFKC", source)
    source = _INVISIBLE.sub("", unicodedata.normalize("NFD", source))
    return unicodedata.normalize("NFKC", source)


def tokens(folded: str) -> list[str]:
    """The words of folded text, in order (see the module's docstring)."""
    if folded.isascii():
        return _ASCII_TOKEN.findall(folded)
    return [_unmix(word) for word in _TOKEN.findall(folded)]


def _unmix(word: str) -> str:
    if word.isascii() or not _LATIN.search(word):
        return word
    return word.translate(lookalikes.LATIN_TWINS)


def leet(folded: str, words: list[str]) -> list[str] | None:
    """The words of folded text with digits and signs that stand for letters read as
    letters ("b4d" -> "bad", "$ex" -> "sex"), or None when that changes nothing."""
    if lookalikes.LEET_HINT.search(folded) is None:
        return None
    signs = lookalikes.leet_text(folded)
    read = tokens(signs) if signs != folded else words
    return lookalikes.leet_words(read) or (read if read is not words else None)


def spaced_letters(words: list[str]) -> list[str] | None:
    """The words with each run of two or more single letters joined ("b a d" -> "bad"),
    or None when there is no such run.

    Spaced-out letters are a common way round a word filter. Joining only whole runs
    keeps the cost of false positives low: "J. R. R. Tolkien" becomes "jrr tolkien", which
    only an entry "jrr" would match.
    """
    lengths = list(map(len, words))
    if not any(a == b == 1 for a, b in itertools.pairwise(lengths)):
        return None
    joined: list[str] = []
    run: list[str] = []
    changed = False
    for word in [*words, ""]:
        if len(word) == 1 and word.isalnum() and not _is_unspaced(word):
            run.append(word)
            continue
        if len(run) >= 2:
            joined.append("".join(run))
            changed = True
        else:
            joined.extend(run)
        run = []
        if word:
            joined.append(word)
    return joined if changed else None


def _is_unspaced(char: str) -> bool:
    return _UNSPACED_CHAR.match(char) is not None
