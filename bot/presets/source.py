"""The member's preset and preferences as option sources of a job."""

from __future__ import annotations

from bot.jobs.ports import Contribution, Slot
from bot.jobs.request import ImagineRequest
from bot.presets.service import StoredLayers, layers_of, layers_rule
from bot.storage import Rule


class PresetSource:
    """The preset the request names and the member's preferences, as the job's one read
    of its settings found them."""

    def settings_rule(self, request: ImagineRequest) -> Rule[StoredLayers]:
        """The preset the request names and the member's preferences. The rule raises
        PresetNotFound."""
        return layers_rule(request.guild_id, request.user_id, request.preset)

    async def contribute(self, request: ImagineRequest, found: StoredLayers | None
                         ) -> tuple[Contribution, ...]:
        """The preset's layer and the preferences' layer."""
        if found is None:
            return ()
        preset, preferences = layers_of(*found)
        return Contribution(Slot.PRESET, preset), Contribution(Slot.PREFERENCES, preferences)
