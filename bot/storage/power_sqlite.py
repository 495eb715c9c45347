"""SQLite's statements of members' defaults (see `power_base`), mixed into
`SqliteTransaction`: like its own, each runs at once and never suspends."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from bot.storage.power_base import Preset

_PRESET = "guild_id, user_id, name, options, created_at"


def _preset(row: tuple[Any, ...]) -> Preset:
    return Preset(row[0], row[1], row[2], json.loads(row[3]), row[4])


class SqlitePowerStatements:
    """The members' defaults statements, on `self._conn` inside an open transaction."""

    __slots__ = ()
    _conn: sqlite3.Connection

    async def preferences(self, guild_id: int, user_id: int) -> dict[str, Any]:
        row = self._conn.execute(
            "SELECT prefs FROM preferences WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id)).fetchone()
        return dict(json.loads(row[0])) if row else {}

    async def set_preferences(self, guild_id: int, user_id: int, prefs: Mapping[str, Any],
                              now: float) -> None:
        if not prefs:
            self._conn.execute("DELETE FROM preferences WHERE guild_id = ? AND user_id = ?",
                               (guild_id, user_id))
            return
        self._conn.execute(
            "INSERT INTO preferences (guild_id, user_id, prefs, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
            "prefs = excluded.prefs, updated_at = excluded.updated_at",
            (guild_id, user_id, json.dumps(dict(prefs)), now))

    async def presets(self, guild_id: int, user_id: int) -> list[Preset]:
        rows = self._conn.execute(
            f"SELECT {_PRESET} FROM presets WHERE guild_id = ? AND user_id = ? "
            "ORDER BY name_key", (guild_id, user_id))
        return [_preset(row) for row in rows]

    async def preset(self, guild_id: int, user_id: int, key: str) -> Preset | None:
        row = self._conn.execute(
            f"SELECT {_PRESET} FROM presets WHERE guild_id = ? AND user_id = ? "
            "AND name_key = ?", (guild_id, user_id, key)).fetchone()
        return _preset(row) if row else None

    async def put_preset(self, preset: Preset) -> bool:
        replaced = self._conn.execute(
            "DELETE FROM presets WHERE guild_id = ? AND user_id = ? AND name_key = ?",
            (preset.guild_id, preset.user_id, preset.key)).rowcount == 1
        self._conn.execute(
            "INSERT INTO presets (guild_id, user_id, name_key, name, options, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (preset.guild_id, preset.user_id, preset.key, preset.name,
             json.dumps(dict(preset.options)), preset.created_at))
        return replaced

    async def delete_preset(self, guild_id: int, user_id: int, key: str) -> bool:
        return self._conn.execute(
            "DELETE FROM presets WHERE guild_id = ? AND user_id = ? AND name_key = ?",
            (guild_id, user_id, key)).rowcount == 1

    async def recent_prompts(self, guild_id: int, user_id: int, limit: int) -> list[str]:
        # jobs_member (guild_id, user_id, created_at) walked backwards from the newest.
        rows = self._conn.execute(
            "SELECT prompt FROM jobs WHERE guild_id = ? AND user_id = ? AND prompt <> '' "
            "ORDER BY created_at DESC LIMIT ?", (guild_id, user_id, limit))
        return [prompt for (prompt,) in rows]
