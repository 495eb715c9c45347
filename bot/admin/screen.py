"""The models a server forbids, as a screen of every job."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.admin.server import check_model_allowed, forbidden_rule
from bot.errors import UserError
from bot.jobs.request import ImagineRequest
from bot.storage import Rule


class AllowedModels:
    """Refuses a model the server forbids, naming the allowed ones among those offered."""

    def __init__(self, offered: Callable[[], Iterable[str]]) -> None:
        self._offered = offered

    def settings_rule(self, request: ImagineRequest) -> Rule[set[str]]:
        """The models the request's server forbids."""
        return forbidden_rule(request.guild_id)

    async def screen(self, request: ImagineRequest, model: str, found: set[str] | None
                     ) -> None:
        """Raises ModelForbidden for a forbidden model."""
        check_model_allowed(found or set(), model, list(self._offered()))

    async def provider_refused(self, request: ImagineRequest, model: str, message: str
                               ) -> UserError | None:
        """Not this screen's concern."""
        return None
