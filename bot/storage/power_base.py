"""The statements of members' own defaults (preferences, presets, recent prompts), as
part of the `Transaction` seam: each engine implements them in its `power_*` module."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

# The tables these statements use, in the order a copy must fill them.
POWER_TABLES: dict[str, tuple[str, ...]] = {
    "preferences": ("guild_id", "user_id", "prefs", "updated_at"),
    "presets": ("guild_id", "user_id", "name_key", "name", "options", "created_at"),
}


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


class PowerTransaction(Protocol):
    """Members' defaults' statements inside one open transaction."""

    async def preferences(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The member's preferences in the server (empty when they set none)."""

    async def set_preferences(self, guild_id: int, user_id: int, prefs: Mapping[str, Any],
                              now: float) -> None:
        """Replaces the member's preferences; empty removes them."""

    async def presets(self, guild_id: int, user_id: int) -> list[Preset]:
        """The member's presets in the server, by name."""

    async def preset(self, guild_id: int, user_id: int, key: str) -> Preset | None:
        """The member's preset of this key (`preset_key`), if any."""

    async def put_preset(self, preset: Preset) -> bool:
        """Inserts or replaces the preset of its key; True when it replaced one."""

    async def delete_preset(self, guild_id: int, user_id: int, key: str) -> bool:
        """Removes a preset; False when there was none of this key."""

    async def recent_prompts(self, guild_id: int, user_id: int, limit: int) -> list[str]:
        """The prompts of the member's `limit` latest jobs in the server, newest first
        (an index walk from the newest job: its cost is `limit`, not the table)."""
