"""bot/jobs/ on PostgreSQL: the statements a job sends the server, which a burst waits for.

Each statement is a round trip, and BEGIN and COMMIT are two more per transaction: the
settings read runs without a transaction (each feature's settings stand alone) and reads
together what a feature keeps in one row apiece, marking the job posting is one
statement with the balance read after it, and the credit rules read the server's
settings, the member, the tiers and the day's budget in one statement, after a BEGIN
sent with the rule's locks.

Real PostgreSQL, the real services and the placeholder provider; the statements are
noted as asyncpg sends them, beside the store's transaction they belong to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import pytest

from bot.admin.screen import AllowedModels
from bot.admin.server import log_channel_rule
from bot.jobs.ports import JobUI
from bot.jobs.request import ImagineRequest, Progress
from bot.moderation import Policy
from bot.moderation.blocklist import Blocklist
from bot.moderation.screen import ModerationScreen
from bot.moderation.service import Moderation
from bot.providers import Router
from bot.providers.base import GeneratedImage
from bot.settings import Settings
from tests.support.jobs import Wired, wired_jobs
from tests.support.postgres import ThrowawayPostgres

GUILD, CHANNEL, MEMBER, ROLE = 1, 2, 3, 4


@pytest.fixture
async def wired(pg_server: ThrowawayPostgres) -> AsyncIterator[Wired]:
    def screens(db: Any, settings: Settings, router: Router) -> tuple[Any, ...]:
        return (AllowedModels(router.offered),
                ModerationScreen(Moderation(db, Policy.from_settings(settings),
                                            Blocklist((), source="operator"))))

    async with wired_jobs(pg_server.new_database(), log_channel=log_channel_rule,
                          screens=screens) as w:
        yield w


@pytest.fixture
def sent(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> dict[int, list[str]]:
    """The statements sent from here on, by the store's transaction (its count) they
    were sent in."""
    noted: dict[int, list[str]] = defaultdict(list)
    execute, extended = asyncpg.Connection.execute, asyncpg.Connection._execute

    async def simple(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if not args:  # asyncpg's simple protocol: BEGIN, COMMIT
            noted[wired.db.count].append(query)
        return await execute(self, query, *args, **kwargs)

    async def bound(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        noted[wired.db.count].append(query)
        return await extended(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "execute", simple)
    monkeypatch.setattr(asyncpg.Connection, "_execute", bound)
    return noted


async def _posted(job_id: str, images: Sequence[GeneratedImage], balance: int) -> int:
    return 1234


async def _quiet(progress: Progress) -> None:
    pass


async def test_a_jobs_statements_on_postgresql(wired: Wired,
                                               sent: dict[int, list[str]]) -> None:
    db = wired.db
    request = ImagineRequest(GUILD, CHANNEL, MEMBER, "a cat", model="flux-dev",
                             role_ids=(ROLE,))
    prepared = await wired.jobs.prepare(request)
    await wired.jobs.run(prepared, JobUI(_quiet, _posted))
    assert db.count == 4  # the settings read, the reservation, posting, the settlement
    read, reservation, posting, settlement = (sent[n] for n in range(1, 5))
    # The settings: the statements alone, no BEGIN and COMMIT around them.
    assert not [sql for sql in read if sql.startswith(("BEGIN", "COMMIT"))]
    # The server's settings with the channel caps, the log channel with the language,
    # the forbidden models, and what moderation judges by (the blocklist, the member's
    # strikes and standing, the review channel).
    assert len(read) == 4
    # The reservation: BEGIN with the locks, then one read of all it checks, then its
    # writes at once.
    assert reservation[0].startswith("BEGIN") and reservation[-1].startswith("COMMIT")
    assert reservation[0].count("pg_advisory_xact_lock") == 2
    assert "FROM role_tiers" in reservation[1] and "FROM budget_spend" in reservation[1]
    assert reservation[2].startswith("WITH w0 AS (INSERT INTO members")
    assert len(reservation) == 4
    # Posting: the mark, then the balance in one statement; settling: one statement.
    assert posting[0].startswith("UPDATE jobs SET status")
    assert "FROM members" in posting[1]
    assert len(posting) == 2
    assert len(settlement) == 1 and settlement[0].startswith("UPDATE jobs SET status")
    assert await wired.credits.audit() == []
