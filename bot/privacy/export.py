"""The member's export: one JSON document with a short header saying what each part is,
fitted to the upload limit (as it is, gzip-compressed, or the compressed file split)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.i18n import SOURCE, render, tr
from bot.privacy.store import EXPORT_PARTS

FORMAT = "fluxcord-member-export"
VERSION = 1
# Columns that hold JSON text in storage: exported as the objects they are.
_JSON_COLUMNS = frozenset({"options", "prefs", "request"})
# Columns that hold epoch seconds: exported as ISO 8601 UTC, which a person can read.
_TIME_COLUMNS = frozenset({"created_at", "updated_at", "decided_at", "added_at",
                           "pardoned_at", "blocked_at", "period_start"})
BALANCE_ABOUT = tr("What you can spend per server now: allowance left plus bonus (role "
                   "tiers, which depend on your roles at the moment you ask, are not counted).")


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One file to upload."""

    filename: str
    data: bytes


def iso(epoch: float | int | None) -> str | None:
    """Epoch seconds as ISO 8601 in UTC (None stays None)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in _JSON_COLUMNS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if column in _TIME_COLUMNS and isinstance(value, int | float):
        return iso(value)
    if isinstance(value, bytes | memoryview):  # never expected; an export holds no files
        return None
    if column.endswith("_id") or column == "added_by":
        # Discord ids exceed what JSON readers in browsers hold exactly: strings.
        return str(value)
    return value


def build_export(user_id: int, data: Mapping[str, list[dict[str, Any]]],
                 balances: Mapping[int, int], now: float, lang: str = SOURCE) -> bytes:
    """The export document of `user_id` as UTF-8 JSON, its explanations in `lang`.
    `data` is storage's `member_data`; `balances` the credits they can spend now, per
    server."""
    parts = {part: [{column: _value(column, value) for column, value in row.items()}
                    for row in rows] for part, rows in data.items()}
    about = {part: render(text, lang) for part, (_sql, text) in EXPORT_PARTS.items()}
    about["credits_now"] = BALANCE_ABOUT.render(lang)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "member_id": str(user_id),
        "made_at": iso(now),
        "about": {
            "this file": tr("Everything fluxcord keeps about you, in every server where it "
                            "knows you. Times are UTC; ids are Discord's.").render(lang),
            **about,
        },
        "credits_now": [{"guild_id": str(g), "credits": c} for g, c in sorted(balances.items())],
        **parts,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def fit_export(document: bytes, limit: int, name: str) -> tuple[list[ExportFile], str]:
    """The document as files of at most `limit` bytes each, and how: "plain" (one .json),
    "compressed" (one .json.gz) or "split" (the .json.gz cut into numbered parts, to be
    joined in order before it is decompressed)."""
    if len(document) <= limit:
        return [ExportFile(f"{name}.json", document)], "plain"
    packed = gzip.compress(document, mtime=0)
    if len(packed) <= limit:
        return [ExportFile(f"{name}.json.gz", packed)], "compressed"
    parts = [packed[start:start + limit] for start in range(0, len(packed), limit)]
    return [ExportFile(f"{name}.json.gz.{n:03d}", part)
            for n, part in enumerate(parts, start=1)], "split"
