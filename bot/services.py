"""The long-lived domain objects the bot is built on, opened once by the entry point."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.admin import ServerAdmin
    from bot.boards.service import Boards
    from bot.continuity import Continuity
    from bot.credits import Credits
    from bot.credits.records import JobRecords
    from bot.guilds import Guilds
    from bot.jobs.service import JobService
    from bot.metrics.families import Metrics
    from bot.moderation.service import Moderation
    from bot.presets import Presets
    from bot.privacy import Privacy
    from bot.provenance.signing import ResultSigner
    from bot.providers.router import Router
    from bot.settings import Settings
    from bot.storage import Store


@dataclass(slots=True)
class Services:
    """What `open_services` yields and the Discord side uses: nothing here knows Discord."""

    settings: Settings
    store: Store
    credits: Credits
    guilds: Guilds
    records: JobRecords
    router: Router
    jobs: JobService
    moderation: Moderation
    boards: Boards
    admin: ServerAdmin
    continuity: Continuity
    presets: Presets
    privacy: Privacy
    signer: ResultSigner | None = None  # C2PA signing of results, when configured
    # Set when METRICS_PORT is: what the metrics endpoint serves.
    metrics: Metrics | None = None
