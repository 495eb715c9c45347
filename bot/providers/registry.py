"""Every provider the bot knows, in one explicit tuple (as `COGS` lists the cogs).

Each provider module declares an `ENTRY` (`ProviderEntry`): its name, its label, the
settings it reads and how its client is made. Adding a provider is adding its module and
its entry here; nothing else names it.
"""

from __future__ import annotations

from bot.providers import apiframe, bfl, onemin, placeholder, segmind
from bot.providers.base import ProviderEntry

#: In the order `/models` and `check` list them.
PROVIDERS: tuple[ProviderEntry, ...] = (
    apiframe.ENTRY,
    segmind.ENTRY,
    onemin.ENTRY,
    bfl.ENTRY,
    placeholder.ENTRY,
)

BY_NAME: dict[str, ProviderEntry] = {entry.name: entry for entry in PROVIDERS}
