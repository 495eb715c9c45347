"""Reading a prompt's `{a, b, c}` groups, strictly, and expanding them.

The grammar: outside a group, `{` opens one; inside, `,` separates options and `}`
closes it. `\\{`, `\\}`, `\\,` and `\\\\` are the literal characters anywhere; any other
backslash is kept as typed. Each option is trimmed of surrounding spaces. Everything a
member could mean two ways is refused with a message that says how to write it: a
brace left open, a `}` that closes nothing, a group inside a group, an empty option, the
same option twice in one group. (Bash-style brace expansion libraries accept most of
these silently, which is why the few rules are written out here.)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product

from bot.errors import UserError
from bot.i18n import tr

_ESCAPABLE = frozenset("{},\\")
_LITERAL_HINT = tr("write {open} or {close} for a literal brace", open="`\\{`",
                   close="`\\}`")


class PermutationError(UserError):
    """A prompt whose `{…}` groups cannot be read; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Variant:
    """One combination: the prompt it makes and the option picked from each group."""

    prompt: str
    choices: tuple[str, ...]

    @property
    def label(self) -> str:
        """How the result names this variant: its choices, in prompt order."""
        return " · ".join(self.choices)


@dataclass(frozen=True, slots=True)
class Template:
    """A prompt read into literal text and groups, in order (a group is a tuple)."""

    parts: tuple[str | tuple[str, ...], ...]

    @property
    def groups(self) -> tuple[tuple[str, ...], ...]:
        return tuple(p for p in self.parts if isinstance(p, tuple))

    @property
    def combinations(self) -> int:
        """How many prompts the template makes (1 without groups)."""
        return math.prod(len(group) for group in self.groups)

    def variants(self) -> Iterator[Variant]:
        """Every combination, the first group varying slowest (as a member reads them)."""
        for picks in product(*self.groups):
            chosen = iter(picks)
            text = "".join(p if isinstance(p, str) else next(chosen) for p in self.parts)
            yield Variant(text, picks)


def parse(prompt: str) -> Template:
    """Reads `prompt`; raises PermutationError when its braces cannot be read."""
    parts: list[str | tuple[str, ...]] = []
    text: list[str] = []  # the literal text (or the current option) being read
    options: list[str] | None = None  # inside a group: its options so far
    opened_at = 0
    i = 0
    while i < len(prompt):
        char = prompt[i]
        if char == "\\" and i + 1 < len(prompt) and prompt[i + 1] in _ESCAPABLE:
            text.append(prompt[i + 1])
            i += 2
            continue
        if char == "{":
            if options is not None:
                raise PermutationError(tr(
                    "A group inside a group (the `{{` at character {at}) is not "
                    "supported: list every option in one group, or {hint}.",
                    at=i + 1, hint=_LITERAL_HINT))
            parts.append("".join(text))
            text, options, opened_at = [], [], i
        elif char == "}":
            if options is None:
                raise PermutationError(tr(
                    "The `}}` at character {at} closes no group: {hint}.",
                    at=i + 1, hint=_LITERAL_HINT))
            options.append(_option(text, opened_at))
            parts.append(_group(options, opened_at))
            text, options = [], None
        elif char == "," and options is not None:
            options.append(_option(text, opened_at))
            text = []
        else:
            text.append(char)
        i += 1
    if options is not None:
        raise PermutationError(tr(
            "The `{{` at character {at} is never closed: end the group with `}}`, or "
            "{hint}.", at=opened_at + 1, hint=_LITERAL_HINT))
    parts.append("".join(text))
    return Template(tuple(p for p in parts if p != ""))


def _option(text: list[str], opened_at: int) -> str:
    option = "".join(text).strip()
    if not option:
        raise PermutationError(tr(
            "The group at character {at} has an empty option: write something between "
            "each pair of commas and braces, such as `{{red, blue}}`.", at=opened_at + 1))
    return option


def _group(options: list[str], opened_at: int) -> tuple[str, ...]:
    seen: set[str] = set()
    for option in options:
        if option.casefold() in seen:
            raise PermutationError(tr(
                "The group at character {at} lists the same option twice: each option "
                "makes its own image, so list it once.", at=opened_at + 1))
        seen.add(option.casefold())
    return tuple(options)


def check_jobs(template: Template, count: int, limit: int) -> int:
    """The number of jobs the command makes (combinations times `count`); a refusal that
    gives the number of combinations when that is over `limit`."""
    combinations = template.combinations
    jobs = combinations * count
    if jobs > limit:
        if count > 1:
            raise PermutationError(tr(
                "This prompt makes {combinations} combinations × {count} images each: "
                "{jobs} jobs, and one command may make at most {limit}. Remove some "
                "options; nothing was charged.",
                combinations=combinations, count=count, jobs=jobs, limit=limit))
        raise PermutationError(tr(
            "This prompt makes {combinations} combinations: {jobs} jobs, and one command "
            "may make at most {limit}. Remove some options; nothing was charged.",
            combinations=combinations, jobs=jobs, limit=limit))
    return jobs
