"""Board names: what a valid one is, when two are the same, and the board thread's name.

A name is 1 to MAX_LENGTH characters after trimming, unique in its server ignoring case
and the form its characters were typed in: `name_key` is what storage compares (and
indexes) so that "Mood", "MOOD" and "Mood" typed in full-width letters are one board.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from bot import mentions
from bot.errors import UserError

MAX_LENGTH = 50
THREAD_NAME_LIMIT = 100  # Discord's limit for a thread's (or a forum post's) name
_SPACES = re.compile(r"\s+")
_ELLIPSIS = "…"
_JOINER = "\u200d"  # zero-width joiner: joins emoji into one


class BoardNameError(UserError):
    """A board name the member has to change."""


def clean_name(raw: str) -> str:
    """The name as it will be shown: trimmed, runs of white space (line breaks too) made
    one space, control characters dropped, in NFC. Raises BoardNameError when nothing
    visible is left or it is longer than MAX_LENGTH characters."""
    text = "".join(c for c in raw if unicodedata.category(c) != "Cc" or c.isspace())
    name = unicodedata.normalize("NFC", _SPACES.sub(" ", text).strip())
    if not any(unicodedata.category(c)[0] not in "CZ" for c in name):
        raise BoardNameError("A board needs a name: type 1 to 50 characters.")
    if len(name) > MAX_LENGTH:
        raise BoardNameError(f"A board name is at most {MAX_LENGTH} characters; "
                             f"this one has {len(name)}.")
    return name


def name_key(name: str) -> str:
    """The form two names are compared in: equal keys mean the same board.

    Compatibility-normalised (full-width letters, ligatures and the like become plain
    ones) and case-folded ("ß" matches "SS"); normalised again because folding can
    undo the normal form.
    """
    name = _SPACES.sub(" ", name).strip()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def check_new_name(raw: str, existing: Iterable[str]) -> str:
    """The cleaned name for a new board, given the names of the server's boards.
    Raises BoardNameError when it is invalid or another board has it."""
    name = clean_name(raw)
    key = name_key(name)
    for other in existing:
        if name_key(other) == key:
            raise BoardNameError(f"This server already has a board called "
                                 f"“{mentions.typed(other)}”: "
                                 "pick another name.")
    return name


def thread_name(name: str, prefix: str = "") -> str:
    """The name of a board's thread: `prefix` then the board's name, cut with an
    ellipsis to Discord's THREAD_NAME_LIMIT.

    Counted in UTF-16 code units, the stricter of the ways the limit can be counted (an
    emoji is one character but two units), and never cut inside a character with
    combining marks or a joined emoji.
    """
    full = _SPACES.sub(" ", f"{prefix}{name}").strip()
    if _units(full) <= THREAD_NAME_LIMIT:
        return full
    room = THREAD_NAME_LIMIT - _units(_ELLIPSIS)
    cut = full
    while _units(cut) > room:
        cut = cut[:-1]
    # Step back over what would leave half a character: a joiner at the end, or a base
    # character whose mark, joiner or skin tone was cut off.
    while cut and (cut[-1] == _JOINER or _attaches(full[len(cut)])):
        cut = cut[:-1]
    return cut.rstrip() + _ELLIPSIS


def _attaches(char: str) -> bool:
    """Whether `char` belongs to the character before it."""
    return (char == _JOINER or unicodedata.category(char) in ("Mn", "Mc", "Me")
            or "\U0001f3fb" <= char <= "\U0001f3ff")  # emoji skin tones


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
