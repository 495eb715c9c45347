"""Where moderation actions are reported: the server's log channel.

`admin_event(guild_id, text)` is the one call site. Until a server log channel exists
it only logs; `Moderation` takes the real reporter as `on_event` when there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

AdminEvent = Callable[[int, str], Awaitable[None]]


async def admin_event(guild_id: int, text: str) -> None:
    """Reports a moderation action of server `guild_id`; never includes a refused prompt.

    A hook: it logs the action, and is replaced by the log channel poster where the bot
    has one."""
    log.info("server %d: %s", guild_id, text)
