"""A member's preferences, presets and recent prompts in a server; each is read only for
that member (every method takes the member's own ids from the interaction)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from bot import mentions
from bot.catalogue import MODELS, Model
from bot.catalogue.resolve import EMPTY, Layer
from bot.errors import UserError
from bot.i18n import tr
from bot.presets import store
from bot.presets.checks import check_preferences, check_preset
from bot.presets.store import Preset, preset_key
from bot.storage import Rule, Store, Transaction

MAX_PRESETS = 25
SUGGESTIONS = 25
# Prompt suggestions come from this many of the member's latest jobs: an index walk of a
# bounded length, whatever the size of the jobs table or of the member's history.
RECENT_WINDOW = 500
# Discord's longest choice value: a longer prompt cannot be offered whole.
CHOICE_MAX = 100


class PresetNotFound(UserError):
    def __init__(self, name: str) -> None:
        super().__init__(tr("You have no preset “{name}” here. See `/preset list`.",
                            name=mentions.typed(name)))


class Presets:
    """Members' own defaults, stored behind the storage seam."""

    def __init__(self, db: Store, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def preferences(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The member's preferences here (empty when none)."""
        return await self._db.read(lambda tx: store.preferences(tx, guild_id, user_id))

    async def set_preferences(self, guild_id: int, user_id: int, values: Mapping[str, Any],
                              offered: Mapping[str, Model] = MODELS) -> dict[str, Any]:
        """Sets the given values (others are kept), checked together; returns them all."""
        now = self._clock()

        async def write(tx: Transaction) -> dict[str, Any]:
            merged = {**await store.preferences(tx, guild_id, user_id),
                      **{k: v for k, v in values.items() if v is not None}}
            prefs = check_preferences(merged, offered)
            await store.set_preferences(tx, guild_id, user_id, prefs, now)
            return prefs

        return await self._db.write(write)

    async def clear_preferences(self, guild_id: int, user_id: int) -> None:
        """Forgets the member's preferences here."""
        await self._db.write(
            lambda tx: store.set_preferences(tx, guild_id, user_id, {}, 0.0))

    async def presets(self, guild_id: int, user_id: int) -> list[Preset]:
        """The member's presets here, by name."""
        return await self._db.read(lambda tx: store.presets(tx, guild_id, user_id))

    async def preset(self, guild_id: int, user_id: int, name: str) -> Preset:
        """The member's preset of this name (ignoring case); raises PresetNotFound."""
        found = await self._db.read(
            lambda tx: store.preset(tx, guild_id, user_id, preset_key(name)))
        if found is None:
            raise PresetNotFound(name)
        return found

    async def save_preset(self, guild_id: int, user_id: int, name: str, model: str | None,
                          options: Mapping[str, Any],
                          offered: Mapping[str, Model] = MODELS) -> tuple[Preset, bool]:
        """Stores the preset (replacing one of the same name); True when it replaced one.
        Refuses a 26th."""
        name, values = check_preset(name, model, options, offered)
        preset = Preset(guild_id, user_id, name, values, self._clock())

        async def write(tx: Transaction) -> bool:
            await tx.lock_member(guild_id, user_id)  # two saves at once count each other
            existing = await store.presets(tx, guild_id, user_id)
            if (len(existing) >= MAX_PRESETS
                    and all(p.key != preset.key for p in existing)):
                raise UserError(tr("You have {max_presets} presets here, the most there can be. "
                                   "Delete one with `/preset delete` first.",
                                   max_presets=MAX_PRESETS))
            return await store.put_preset(tx, preset)

        return preset, await self._db.write(write)

    async def delete_preset(self, guild_id: int, user_id: int, name: str) -> None:
        """Removes the member's preset; raises PresetNotFound."""
        key = preset_key(name)
        if not await self._db.write(
                lambda tx: store.delete_preset(tx, guild_id, user_id, key)):
            raise PresetNotFound(name)

    async def preset_names(self, guild_id: int, user_id: int, typed: str) -> list[str]:
        """Autocomplete: the member's preset names holding what they typed."""
        folded = typed.strip().casefold()
        return [p.name for p in await self.presets(guild_id, user_id)
                if folded in p.name.casefold()][:SUGGESTIONS]

    async def recent_prompts(self, guild_id: int, user_id: int, typed: str) -> list[str]:
        """Autocomplete: the member's own recent prompts here holding what they typed
        (ignoring case), newest first, each once, at most 25."""
        folded = typed.strip().casefold()
        prompts = await self._db.read(
            lambda tx: store.recent_prompts(tx, guild_id, user_id, RECENT_WINDOW))
        seen: set[str] = set()
        found: list[str] = []
        for prompt in prompts:
            if prompt in seen or len(prompt) > CHOICE_MAX or folded not in prompt.casefold():
                continue
            seen.add(prompt)
            found.append(prompt)
            if len(found) == SUGGESTIONS:
                break
        return found

    async def layers(self, guild_id: int, user_id: int, preset: str | None
                     ) -> tuple[Layer, Layer]:
        """The preset layer (EMPTY without one) and the preferences layer of a job."""
        return layers_of(*await self._db.read(layers_rule(guild_id, user_id, preset)))


StoredLayers = tuple[Preset | None, dict[str, Any]]


def layers_rule(guild_id: int, user_id: int, preset: str | None) -> Rule[StoredLayers]:
    """The read of a job's preset and preferences, for `layers_of`; a job runs it in the
    one transaction that reads all its settings. Raises PresetNotFound."""

    async def read(tx: Transaction) -> StoredLayers:
        if guild_id == 0:  # direct messages run on the operator's defaults
            if preset is not None:
                raise UserError(tr("Presets live in a server; use one there."))
            return None, {}
        found = None
        if preset is not None:
            found = await store.preset(tx, guild_id, user_id, preset_key(preset))
            if found is None:
                raise PresetNotFound(preset)
        return found, await store.preferences(tx, guild_id, user_id)

    return read


def layers_of(found: Preset | None, prefs: dict[str, Any]) -> tuple[Layer, Layer]:
    """The preset layer (EMPTY without one) and the preferences layer, from their rows."""
    preset_layer = EMPTY
    if found is not None:
        values = dict(found.options)
        preset_layer = Layer(values.pop("model", None), values, None, found.name)
    prefs_options = {k: v for k, v in prefs.items()
                     if k not in ("model", "prompt_suffix")}
    return preset_layer, Layer(prefs.get("model"), prefs_options,
                               prefs.get("prompt_suffix"))
