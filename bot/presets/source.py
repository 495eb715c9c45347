"""The member's preset and preferences as option sources of a job."""

from __future__ import annotations

from bot.job_settings import JobSettings
from bot.jobs.ports import Contribution, Reads, Slot
from bot.jobs.request import ImagineRequest
from bot.presets.service import layers_of


class PresetSource:
    """The preset the request names and the member's preferences, as the job's one read
    of its settings found them."""

    reads = frozenset({Reads.PRESETS})

    async def contribute(self, request: ImagineRequest, found: JobSettings
                         ) -> tuple[Contribution, ...]:
        """The preset's layer and the preferences' layer."""
        if found.layers is None:
            return ()
        preset, preferences = layers_of(*found.layers)
        return Contribution(Slot.PRESET, preset), Contribution(Slot.PREFERENCES, preferences)
