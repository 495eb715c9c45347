"""The blocklist check: a 2,000-character prompt against 10,000 entries (target: < 1 ms).

    python -m bench.blocklist [--entries 10000] [--chars 2000] [--calls 2000]

Runs in this process, no stand-ins. The entries are made-up words (two thirds) and
two-word phrases (one third), as an operator's list would hold; the prompts are made of
other words, so every check scans the whole prompt and finds nothing, the most work a
check does. Figures, each the median and p99 of `--calls` checks:

- `ascii`: an English-like prompt, words and phrases only (the target);
- `unicode`: the same prompt with accents and Cyrillic (the slower folding path);
- `spaced`: a prompt with letters spaced out, which adds the second look;
- `digits`: the ASCII prompt with words holding digits ("4k", "r3nder"), which adds the
  look with digits read as letters;
- `with_regexes`: the ASCII prompt with 20 regex entries added to the list.

Also the time to build the index of the list (once per change of a server's list).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import sys
import time
from typing import Any

from bot.moderation import Blocklist, parse_entry

TARGET_MS = 1.0
REGEXES = [rf"/b[a4]d{n}+y?/" for n in range(10)] + [rf"/\bx{n}\w*z\b/" for n in range(10)]


def _word(rng: random.Random, letters: str) -> str:
    return "".join(rng.choice(letters) for _ in range(rng.randint(4, 10)))


def entries(count: int, rng: random.Random) -> list[str]:
    # Entries from one half of the alphabet, prompts from the other: no hits, full scans.
    letters = string.ascii_lowercase[:13]
    made: dict[str, None] = {}
    while len(made) < count:
        made[_word(rng, letters) if len(made) % 3 else
             f"{_word(rng, letters)} {_word(rng, letters)}"] = None
    return list(made)


def prompt(chars: int, rng: random.Random) -> str:
    letters = string.ascii_lowercase[13:]
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < chars:
        word = _word(rng, letters)
        words.append(word.capitalize() + "," if rng.random() < 0.1 else word)
    return " ".join(words)[:chars]


def _time(blocklist: Blocklist, text: str, calls: int) -> dict[str, float]:
    assert blocklist.check(text) is None, "the benchmark prompt must not hit"
    samples = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        blocklist.check(text)
        samples.append((time.perf_counter_ns() - started) / 1e6)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 4),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 4),
    }


def run(entry_count: int = 10_000, chars: int = 2000, calls: int = 2000,
        seed: int = 1) -> dict[str, Any]:
    """Measures the checks; returns the figures (see the module's docstring)."""
    rng = random.Random(seed)
    raw = entries(entry_count, rng)
    started = time.perf_counter()
    words = Blocklist([parse_entry(e) for e in raw])
    build_ms = (time.perf_counter() - started) * 1000
    with_regexes = Blocklist([*words.entries, *(parse_entry(r) for r in REGEXES)])
    ascii_prompt = prompt(chars, rng)
    unicode_prompt = "".join(
        {"o": "ó", "u": "ü", "p": "р", "x": "х"}.get(c, c) for c in ascii_prompt)
    spaced = ("s p a c e d " * (chars // 24))[: chars // 2] + ascii_prompt[: chars // 2]
    digits = " ".join(word + "4k" if n % 5 == 0 else word
                      for n, word in enumerate(ascii_prompt.split(" ")))[:chars]
    figures = {
        "entries": len(words),
        "prompt_chars": len(ascii_prompt),
        "calls": calls,
        "build_ms": round(build_ms, 1),
        "ascii": _time(words, ascii_prompt, calls),
        "unicode": _time(words, unicode_prompt, calls),
        "spaced": _time(words, spaced, calls),
        "digits": _time(words, digits, calls),
        "with_regexes": _time(with_regexes, ascii_prompt, calls),
        "target_ms": TARGET_MS,
    }
    figures["meets_target"] = figures["ascii"]["median_ms"] < TARGET_MS
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.blocklist", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)
    result = run(args.entries, args.chars, args.calls)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
