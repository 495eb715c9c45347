"""The statements of members' own defaults (preferences, presets, recent prompts), each
written once for both engines, and the rows they read."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage.base import Statements

_PRESET = "guild_id, user_id, name, options, created_at"


@dataclass(frozen=True, slots=True)
class Preset:
    """A member's named bundle of /imagine options in one server."""

    guild_id: int
    user_id: int
    name: str
    options: Mapping[str, Any]
    created_at: float

    @property
    def key(self) -> str:
        return preset_key(self.name)


def preset_key(name: str) -> str:
    """How preset names compare: ignoring case and surrounding space."""
    return name.strip().casefold()


def _preset(row: Sequence[Any]) -> Preset:
    return Preset(row[0], row[1], row[2], json.loads(row[3]), row[4])


async def preferences(tx: Statements, guild_id: int, user_id: int) -> dict[str, Any]:
    """The member's preferences in the server (empty when they set none)."""
    prefs = await tx.fetchval(
        "SELECT prefs FROM preferences WHERE guild_id = $1 AND user_id = $2",
        guild_id, user_id)
    return dict(json.loads(prefs)) if prefs else {}


async def set_preferences(tx: Statements, guild_id: int, user_id: int,
                          prefs: Mapping[str, Any], now: float) -> None:
    """Replaces the member's preferences; empty removes them."""
    if not prefs:
        await tx.execute("DELETE FROM preferences WHERE guild_id = $1 AND user_id = $2",
                         guild_id, user_id)
        return
    await tx.execute(
        "INSERT INTO preferences (guild_id, user_id, prefs, updated_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
        "prefs = excluded.prefs, updated_at = excluded.updated_at",
        guild_id, user_id, json.dumps(dict(prefs)), now)


async def presets(tx: Statements, guild_id: int, user_id: int) -> list[Preset]:
    """The member's presets in the server, by name."""
    rows = await tx.fetch(
        f"SELECT {_PRESET} FROM presets WHERE guild_id = $1 AND user_id = $2 "
        "ORDER BY name_key", guild_id, user_id)
    return [_preset(row) for row in rows]


async def preset(tx: Statements, guild_id: int, user_id: int, key: str) -> Preset | None:
    """The member's preset of this key (`preset_key`), if any."""
    row = await tx.fetchrow(
        f"SELECT {_PRESET} FROM presets WHERE guild_id = $1 AND user_id = $2 "
        "AND name_key = $3", guild_id, user_id, key)
    return _preset(row) if row else None


async def put_preset(tx: Statements, found: Preset) -> bool:
    """Inserts or replaces the preset of its key; True when it replaced one."""
    replaced = await delete_preset(tx, found.guild_id, found.user_id, found.key)
    await tx.execute(
        "INSERT INTO presets (guild_id, user_id, name_key, name, options, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        found.guild_id, found.user_id, found.key, found.name,
        json.dumps(dict(found.options)), found.created_at)
    return replaced


async def delete_preset(tx: Statements, guild_id: int, user_id: int, key: str) -> bool:
    """Removes a preset; False when there was none of this key."""
    return await tx.execute(
        "DELETE FROM presets WHERE guild_id = $1 AND user_id = $2 AND name_key = $3",
        guild_id, user_id, key) == 1


async def recent_prompts(tx: Statements, guild_id: int, user_id: int, limit: int
                         ) -> list[str]:
    """The prompts of the member's `limit` latest jobs in the server, newest first (an
    index walk of jobs_member from the newest job: its cost is `limit`, not the table)."""
    rows = await tx.fetch(
        "SELECT prompt FROM jobs WHERE guild_id = $1 AND user_id = $2 AND prompt <> '' "
        "ORDER BY created_at DESC LIMIT $3", guild_id, user_id, limit)
    return [row[0] for row in rows]
