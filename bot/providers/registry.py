"""Every provider the bot knows, in one explicit tuple (as `COGS` lists the cogs).

Each provider module declares an `ENTRY` (`ProviderEntry`): its name, its label, the
settings it reads (which `Settings` gains from here) and how its client is made. Adding a
provider is adding its module and its entry here; nothing else names it.
"""

from __future__ import annotations

from bot.providers.apiframe import ENTRY as APIFRAME
from bot.providers.base import ProviderEntry
from bot.providers.bfl import ENTRY as BFL
from bot.providers.onemin import ENTRY as ONEMIN
from bot.providers.placeholder import ENTRY as PLACEHOLDER
from bot.providers.segmind import ENTRY as SEGMIND

#: In the order `/models` and `check` list them.
PROVIDERS: tuple[ProviderEntry, ...] = (APIFRAME, SEGMIND, ONEMIN, BFL, PLACEHOLDER)

BY_NAME: dict[str, ProviderEntry] = {entry.name: entry for entry in PROVIDERS}


def label(name: str) -> str:
    """The name members and operators know a provider by (`1min.ai`); the name if unknown."""
    entry = BY_NAME.get(name)
    return entry.label if entry is not None else name
