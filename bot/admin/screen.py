"""The models a server forbids, as a screen of every job."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.admin.server import check_model_allowed
from bot.errors import UserError
from bot.job_settings import JobSettings
from bot.jobs.ports import Reads
from bot.jobs.request import ImagineRequest


class AllowedModels:
    """Refuses a model the server forbids, naming the allowed ones among those offered."""

    reads: frozenset[Reads] = frozenset()

    def __init__(self, offered: Callable[[], Iterable[str]]) -> None:
        self._offered = offered

    async def screen(self, request: ImagineRequest, model: str, found: JobSettings) -> None:
        """Raises ModelForbidden for a forbidden model."""
        check_model_allowed(found.forbidden, model, list(self._offered()))

    async def provider_refused(self, request: ImagineRequest, model: str, message: str
                               ) -> UserError | None:
        """Not this screen's concern."""
        return None
