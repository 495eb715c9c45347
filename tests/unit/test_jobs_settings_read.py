"""bot/jobs/ before the reservation: a job reads its server's and member's settings
(preset, preferences, board style, server settings, channel caps, log channel, forbidden
models, moderation standing) in one database read, and each still applies.

Real SQLite and PostgreSQL, the real services; only the reads are counted, around the
store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.admin import ModelForbidden, ServerAdmin
from bot.admin.screen import AllowedModels
from bot.admin.server import log_channel_rule
from bot.boards.service import Boards
from bot.boards.source import BoardStyleSource
from bot.errors import UserError
from bot.jobs.request import ImagineRequest
from bot.jobs.service import JobService
from bot.moderation import Policy
from bot.moderation.blocklist import Blocklist
from bot.moderation.screen import ModerationScreen
from bot.moderation.service import Moderation
from bot.presets import Presets
from bot.presets.source import PresetSource
from bot.providers import Router
from bot.settings import Settings
from tests.support.jobs import CountedStore, wired_jobs

GUILD, CHANNEL, MEMBER = 1, 2, 3


@pytest.fixture
async def wired(store_url: str) -> AsyncIterator[tuple[JobService, CountedStore, Any]]:
    def screens(db: Any, settings: Settings, router: Router) -> tuple[Any, ...]:
        return (AllowedModels(router.offered),
                ModerationScreen(Moderation(db, Policy.from_settings(settings),
                                            Blocklist((), source="operator"))))

    async with wired_jobs(store_url, screens=screens,
                          sources=(BoardStyleSource(), PresetSource()),
                          log_channel=log_channel_rule) as w:
        db = w.db
        yield w.jobs, db, (w.guilds, ServerAdmin(db, w.settings), Presets(db), Boards(db))


async def test_a_job_reads_its_settings_once_and_each_applies(
    wired: tuple[JobService, CountedStore, Any],
) -> None:
    jobs, db, (guilds, admin, power, boards) = wired
    await power.save_preset(GUILD, MEMBER, "wide", "flux-dev", {"aspect_ratio": "16:9"})
    board = await boards.record_board(GUILD, "Mood", 10, 11, MEMBER)
    await boards.set_style(board, {"prompt_suffix": "in ink"})
    await admin.set_log_channel(GUILD, 300, MEMBER)
    await power.set_preferences(GUILD, MEMBER, {"output_format": "png"})
    await guilds.set_safety_cap(GUILD, 2, channel_id=CHANNEL)
    await admin.set_model_allowed(GUILD, "flux-pro", False)

    db.reads = 0
    prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat",
                                                 preset="wide", board="mood"))
    assert db.reads == 1
    assert prepared.request.board == "Mood"
    assert "in ink" in prepared.request.prompt
    assert prepared.log_channel is True
    assert prepared.model.id == "flux-dev"
    assert prepared.options["aspect_ratio"] == "16:9"
    assert prepared.options["output_format"] == "png"
    assert prepared.request.preferences_applied
    assert prepared.cap == 2

    with pytest.raises(ModelForbidden):
        await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat", model="flux-pro"))
    with pytest.raises(UserError, match="nope"):
        await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat", preset="nope"))
    with pytest.raises(UserError, match="Gone"):
        await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat", board="Gone"))


async def test_the_servers_language_is_read_with_the_jobs_settings(
    wired: tuple[JobService, CountedStore, Any],
) -> None:
    # The result's embed and buttons speak the server's language: read in the job's one
    # transaction, not in one more before the result is posted.
    jobs, db, (_, admin, _, _) = wired
    db.reads = 0
    prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat"))
    assert (db.reads, prepared.language) == (1, "en-US")
    await admin.set_language(GUILD, "de")
    db.reads = 0
    prepared = await jobs.prepare(ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat"))
    assert (db.reads, prepared.language) == (1, "de")
    # In direct messages nothing is read: the default language.
    assert (await jobs.prepare(ImagineRequest(0, CHANNEL, MEMBER, "a cat"))).language is None
