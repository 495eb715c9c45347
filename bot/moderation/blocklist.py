"""Blocklists: the operator's file and each server's own entries, and the check of a prompt.

An entry is a word, a phrase, or `/regex/`. Words and phrases match whole words of the
folded prompt (see bot/moderation/text.py): "bad" matches "Bad!" and fullwidth "bad" but not
"badge"; "bad word" matches "bad   word", "bad-word" and "bad, word", whatever run of
whitespace and punctuation stands between the words. Letters spaced out one by one are
joined before a second look ("b a d", "b.a.d" match "bad"; see `text.spaced_letters`), and
digits and signs standing for letters are read as letters in another ("b4d" and "$ex"
match "bad" and "sex"; see `text.leet`).
A regex runs case-insensitive on the folded prompt (accents and invisible characters
removed, from the pattern too), with a time budget (bot/moderation/patterns.py).

Word and phrase entries are kept in a trie of words, so a check costs about one dictionary
look-up per word of the prompt, however long the list and however many phrases share
their first words: a 2,000-character prompt against
10,000 entries takes a fraction of a millisecond (bench/blocklist.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot import mentions
from bot.i18n import tr
from bot.moderation import lookalikes, patterns, text
from bot.moderation.patterns import EntryRefused

log = logging.getLogger(__name__)

MAX_ENTRY_LENGTH = 200
Source = Literal["operator", "server"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One blocklist entry: `text` as it was written, and what it matches."""

    text: str
    words: tuple[str, ...] = ()
    pattern: patterns.Pattern | None = None

    @property
    def kind(self) -> Literal["word", "phrase", "regex"]:
        if self.pattern is not None:
            return "regex"
        return "word" if len(self.words) == 1 else "phrase"

    @property
    def key(self) -> str:
        """Two entries with the same key match the same prompts ("Bad" and "bad")."""
        if self.pattern is not None:
            return "/" + self.pattern.pattern + "/"
        return " ".join(self.words)


def parse_entry(raw: str, *, probe: bool = True) -> Entry:
    """An entry from what a moderator typed or a line of the operator's file.

    `/.../` is a regex; anything else a word or phrase. Raises EntryRefused with a short
    reason the moderator can act on. A regex is tried against hostile input here, which
    can take up to about a second when it is refused: call this off the event loop.
    `probe=False` skips that for entries that passed it when they were added.
    """
    written = raw.strip()
    if not written:
        raise EntryRefused(tr("The entry is empty. Give a word, a phrase or `/regex/`."))
    if len(written) > MAX_ENTRY_LENGTH:
        raise EntryRefused(tr("The entry is too long: at most {max_entry_length} characters.",
                              max_entry_length=MAX_ENTRY_LENGTH))
    if len(written) >= 2 and written.startswith("/") and written.endswith("/"):
        return Entry(written, pattern=patterns.compile_pattern(text.fold_pattern(written[1:-1]),
                                                             probe=probe))
    words = tuple(text.tokens(text.fold(written)))
    if not words:
        raise EntryRefused(tr("`{written}` has no letters, digits or emoji to match. Give a "
                              "word, a phrase or `/regex/`.",
                              written=written))
    return Entry(written, words=words)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt folded once, to be checked against several lists."""

    folded: str
    words: list[str]
    joined: list[str] | None
    # The second look with digits and signs read as letters ("b4d"), when it differs.
    leet: list[str] | None = None
    leet_joined: list[str] | None = None

    @classmethod
    def of(cls, prompt: str) -> Prompt:
        folded = text.fold(prompt)
        words = text.tokens(folded)
        joined = text.spaced_letters(words)
        leet = text.leet(folded, words)
        leet_joined = text.spaced_letters(leet) if leet is not None else None
        if leet_joined is None and joined is not None:
            leet_joined = lookalikes.leet_words(joined)  # "b 4 d" joins to "b4d"
        return cls(folded, words, joined, leet, leet_joined)

    def views(self) -> Iterator[list[str]]:
        """The words as typed, then each other reading of them."""
        yield self.words
        for other in (self.joined, self.leet, self.leet_joined):
            if other is not None:
                yield other


@dataclass(frozen=True, slots=True)
class Hit:
    """The entry a prompt matched.

    `timed_out`: a regex ran out of time on the prompt twice. The prompt is refused then
    (input built to exhaust a pattern is not let through), but it is not known to match:
    the caller should ask for a shorter or plainer prompt rather than count a strike.
    """

    entry: Entry
    source: Source
    timed_out: bool = False

    @property
    def term(self) -> str:
        return self.entry.text

    @property
    def message(self) -> str:
        """The member's private refusal, naming the term."""
        if self.timed_out:
            return tr("Your prompt could not be checked against the blocklist in time. "
                      "Shorten it or write it more plainly, then try again.")
        shown = mentions.in_code(self.term)
        if self.source == "server":
            return tr("Your prompt was refused: it matches `{term}` on this server's "
                      "blocklist. Rephrase it.", term=shown)
        return tr("Your prompt was refused: it matches `{term}` on the bot's blocklist. "
                  "Rephrase it.", term=shown)


class _Node:
    __slots__ = ("entry", "next")

    def __init__(self) -> None:
        self.next: dict[str, _Node] = {}
        self.entry: Entry | None = None


class Blocklist:
    """An immutable set of entries, indexed for checking; build a new one to change it."""

    def __init__(self, entries: Iterable[Entry], source: Source = "server") -> None:
        unique: dict[str, Entry] = {}
        for entry in entries:
            unique.setdefault(entry.key, entry)
        self.entries: tuple[Entry, ...] = tuple(unique.values())
        self.source: Source = source
        # A trie of words: each node leads on by the next word, and holds the entry whose
        # words end there.
        self._trie: dict[str, _Node] = {}
        for entry in self.entries:
            if entry.words:
                nodes = self._trie
                for word in entry.words:
                    node = nodes.setdefault(word, _Node())
                    nodes = node.next
                if node.entry is None:
                    node.entry = entry
        self._regexes = [entry for entry in self.entries if entry.pattern is not None]

    @classmethod
    def from_stored(cls, entries: Iterable[str], source: Source = "server") -> Blocklist:
        """A server's list as storage keeps it: entries that were checked when they were
        added, so their regexes are compiled without the probes. One that no longer
        parses (a newer rule) is left out and logged, not fatal."""
        parsed = []
        for raw in entries:
            try:
                parsed.append(parse_entry(raw, probe=False))
            except EntryRefused as exc:
                log.warning("stored blocklist entry %r skipped: %s", raw, exc.message)
        return cls(parsed, source)

    def __len__(self) -> int:
        return len(self.entries)

    def check(self, prompt: str | Prompt) -> Hit | None:
        """The first entry the prompt matches, or None."""
        if isinstance(prompt, str):
            prompt = Prompt.of(prompt)
        for words in prompt.views():
            entry = self._find_words(words)
            if entry is not None:
                return Hit(entry, self.source)
        return self._find_regex(prompt.folded)

    def _find_words(self, words: Sequence[str]) -> Entry | None:
        # From each word of the prompt, follow the trie as far as the prompt goes along
        # it: one look-up per word for most prompts, however many entries share a start.
        trie = self._trie
        end = len(words)
        for start, word in enumerate(words):
            node = trie.get(word)
            at = start + 1
            while node is not None:
                if node.entry is not None:
                    return node.entry
                if at == end:
                    break
                node = node.next.get(words[at])
                at += 1
        return None

    def _find_regex(self, folded: str) -> Hit | None:
        deadline = time.perf_counter() + patterns.MATCH_BUDGET
        retried = False
        for entry in self._regexes:
            assert entry.pattern is not None
            while True:
                try:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        raise TimeoutError
                    found = entry.pattern.search(folded, timeout=left) is not None
                    break
                except TimeoutError:
                    # A busy machine may have paused this thread: one more try with a fresh
                    # budget. Input built to exhaust the pattern runs out a second time.
                    if retried:
                        log.warning("blocklist regex %s ran out of time on a %d-character "
                                    "prompt", entry.text, len(folded))
                        return Hit(entry, self.source, timed_out=True)
                    retried = True
                    deadline = time.perf_counter() + patterns.MATCH_BUDGET
            if found:
                return Hit(entry, self.source)
        return None


def check(prompt: str, blocklists: Iterable[Blocklist]) -> Hit | None:
    """The first hit of the prompt in the lists, in order (the operator's list first)."""
    folded = Prompt.of(prompt)
    for blocklist in blocklists:
        hit = blocklist.check(folded)
        if hit is not None:
            return hit
    return None


class BlocklistFileError(Exception):
    """The operator's blocklist file has lines that cannot be used; one line each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def parse_file(content: str, name: str = "BLOCKLIST_FILE") -> Blocklist:
    """The operator's list: one entry a line; blank lines and lines starting with `#`
    are skipped. Every bad line is reported, with its number, before the bot starts."""
    entries: list[Entry] = []
    problems: list[str] = []
    for number, line in enumerate(content.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            entries.append(parse_entry(stripped))
        except EntryRefused as exc:
            problems.append(f"{name} line {number}: {exc.message}")
    if problems:
        raise BlocklistFileError(problems)
    return Blocklist(entries, source="operator")


def load_file(path: Path | None) -> Blocklist:
    """The operator's list from `BLOCKLIST_FILE`; an empty list when it is not set."""
    if path is None:
        return Blocklist((), source="operator")
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "it is not UTF-8 text"
        raise BlocklistFileError([f"BLOCKLIST_FILE: cannot read {path}: {reason}"]) from None
    return parse_file(content)
