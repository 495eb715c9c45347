"""Where moderation actions are reported: the server's log channel.

`Moderation`'s `on_event(guild_id, text)` is the one call site. The domain knows no
Discord: the Discord side registers its log channel poster with `Moderation.report_with`
when its cog loads, and `admin_event`, which only logs, stands in wherever no bot runs
(tests, tools).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

AdminEvent = Callable[[int, str], Awaitable[None]]


async def admin_event(guild_id: int, text: str) -> None:
    """Logs a moderation action of server `guild_id`; never includes a refused prompt."""
    log.info("server %d: %s", guild_id, text)
