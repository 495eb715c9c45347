"""PostgreSQL's statements of members' defaults (see `power_base`), mixed into
`PostgresTransaction`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.storage.power_base import Preset

_PRESET = "guild_id, user_id, name, options, created_at"


def _preset(row: Any) -> Preset:
    return Preset(row[0], row[1], row[2], json.loads(row[3]), row[4])


class PostgresPowerStatements:
    """The members' defaults statements, on `self._conn` inside an open transaction."""

    __slots__ = ()
    _conn: Any

    async def preferences(self, guild_id: int, user_id: int) -> dict[str, Any]:
        prefs = await self._conn.fetchval(
            "SELECT prefs FROM preferences WHERE guild_id = $1 AND user_id = $2",
            guild_id, user_id)
        return dict(json.loads(prefs)) if prefs else {}

    async def set_preferences(self, guild_id: int, user_id: int, prefs: Mapping[str, Any],
                              now: float) -> None:
        if not prefs:
            await self._conn.execute(
                "DELETE FROM preferences WHERE guild_id = $1 AND user_id = $2",
                guild_id, user_id)
            return
        await self._conn.execute(
            "INSERT INTO preferences (guild_id, user_id, prefs, updated_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
            "prefs = excluded.prefs, updated_at = excluded.updated_at",
            guild_id, user_id, json.dumps(dict(prefs)), now)

    async def presets(self, guild_id: int, user_id: int) -> list[Preset]:
        rows = await self._conn.fetch(
            f"SELECT {_PRESET} FROM presets WHERE guild_id = $1 AND user_id = $2 "
            "ORDER BY name_key", guild_id, user_id)
        return [_preset(row) for row in rows]

    async def preset(self, guild_id: int, user_id: int, key: str) -> Preset | None:
        row = await self._conn.fetchrow(
            f"SELECT {_PRESET} FROM presets WHERE guild_id = $1 AND user_id = $2 "
            "AND name_key = $3", guild_id, user_id, key)
        return _preset(row) if row else None

    async def put_preset(self, preset: Preset) -> bool:
        status = await self._conn.execute(
            "DELETE FROM presets WHERE guild_id = $1 AND user_id = $2 AND name_key = $3",
            preset.guild_id, preset.user_id, preset.key)
        await self._conn.execute(
            "INSERT INTO presets (guild_id, user_id, name_key, name, options, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            preset.guild_id, preset.user_id, preset.key, preset.name,
            json.dumps(dict(preset.options)), preset.created_at)
        return bool(status == "DELETE 1")

    async def delete_preset(self, guild_id: int, user_id: int, key: str) -> bool:
        status = await self._conn.execute(
            "DELETE FROM presets WHERE guild_id = $1 AND user_id = $2 AND name_key = $3",
            guild_id, user_id, key)
        return bool(status == "DELETE 1")

    async def recent_prompts(self, guild_id: int, user_id: int, limit: int) -> list[str]:
        # jobs_member (guild_id, user_id, created_at) walked backwards from the newest.
        rows = await self._conn.fetch(
            "SELECT prompt FROM jobs WHERE guild_id = $1 AND user_id = $2 AND prompt <> '' "
            "ORDER BY created_at DESC LIMIT $3", guild_id, user_id, limit)
        return [row[0] for row in rows]
