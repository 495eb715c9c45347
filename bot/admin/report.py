"""The credit report of a server: a summary and a CSV with one row per ledger entry of
the period, streamed from the database page by page so that a server with a long
history costs bounded memory, and fitted to Discord's upload limit.

The CSV's deltas are the ledger's own, so they add up to the change of the balances."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import IO

from bot import spreadsheet
from bot.admin import store
from bot.admin.store import ReportRow
from bot.storage import Store, Transaction

COLUMNS = ("time", "member_id", "delta", "bucket", "reason", "job_id", "model")
PAGE_ROWS = 5000
# Rows stay in memory up to this size, then spill to a temporary file.
SPOOL_BYTES = 1 << 20
TOP_SPENDERS = 5


@dataclass(slots=True)
class ReportSummary:
    """What the period's ledger and jobs add up to."""

    rows: int = 0
    spent: int = 0  # charged for jobs, before refunds
    refunded: int = 0
    granted: int = 0  # bonus added (or, negative, removed) by admins
    jobs_posted: int = 0
    jobs_failed: int = 0
    jobs_running: int = 0
    # Net credits spent on jobs (charges less refunds), per model and per member.
    by_model: Counter[str] = field(default_factory=Counter)
    by_member: Counter[int] = field(default_factory=Counter)
    posted_by_model: Counter[str] = field(default_factory=Counter)
    failed_by_model: Counter[str] = field(default_factory=Counter)
    posted_by_member: Counter[int] = field(default_factory=Counter)
    failed_by_member: Counter[int] = field(default_factory=Counter)
    # Net credits spent on jobs per (UTC day number, model), for spend.png.
    by_day: Counter[tuple[int, str]] = field(default_factory=Counter)

    @property
    def top_spenders(self) -> list[tuple[int, int]]:
        """(member id, net credits) of the biggest spenders, biggest first."""
        spenders = [(m, n) for m, n in self.by_member.most_common() if n > 0]
        return spenders[:TOP_SPENDERS]

    def add(self, row: ReportRow) -> None:
        self.rows += 1
        if row.job_id is None:
            self.granted += row.delta
            return
        model = row.model or "unknown"
        if row.reason == "reserve" or row.reason.startswith("reserve: "):
            self.spent -= row.delta
        else:
            self.refunded += row.delta
        self.by_model[model] -= row.delta
        self.by_member[row.user_id] -= row.delta
        self.by_day[(int(row.created_at // 86400), model)] -= row.delta


@dataclass(frozen=True, slots=True)
class ReportFile:
    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Report:
    summary: ReportSummary
    files: list[ReportFile]
    how: str  # "plain", "compressed" or "split"


def iso_utc(epoch: float) -> str:
    """`2026-11-30T06:12:00Z`: ISO 8601, UTC, whole seconds."""
    moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def build_report(db: Store, guild_id: int, since: float, user_id: int | None,
                       upload_limit: int, name: str, *, page_rows: int = PAGE_ROWS) -> Report:
    """The report of the server's ledger from `since` (one member's if `user_id`), as
    files of at most `upload_limit` bytes each: the CSV as it is when it fits, else
    compressed with gzip, else split into numbered parts that each fit."""
    summary = ReportSummary()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as plain:
        text = io.TextIOWrapper(plain, encoding="utf-8", newline="")
        # Reasons are typed by admins: the shared writer keeps them from running as formulas.
        writer = spreadsheet.writer(text, lineterminator="\n")
        writer.writerow(COLUMNS)
        after_id = 0
        while True:
            # One page per transaction: the database is never held for the whole report.
            rows = await db.read(partial(_page, guild_id=guild_id, since=since,
                                         user_id=user_id, after_id=after_id, limit=page_rows))
            for row in rows:
                summary.add(row)
                writer.writerow((iso_utc(row.created_at), row.user_id, row.delta, row.bucket,
                                 row.reason, row.job_id or "", row.model or ""))
            if len(rows) < page_rows:
                break
            after_id = rows[-1].id
        text.flush()
        for count in await db.read(lambda tx: store.job_counts(tx, guild_id, since, user_id)):
            if count.status == "settled":
                summary.jobs_posted += count.jobs
                summary.posted_by_model[count.model] += count.jobs
                summary.posted_by_member[count.user_id] += count.jobs
            elif count.status == "refunded":
                summary.jobs_failed += count.jobs
                summary.failed_by_model[count.model] += count.jobs
                summary.failed_by_member[count.user_id] += count.jobs
            else:
                summary.jobs_running += count.jobs
        files, how = _fit(plain, upload_limit, name)
        text.detach()
    return Report(summary, files, how)


async def _page(tx: Transaction, guild_id: int, since: float, user_id: int | None,
                after_id: int, limit: int) -> list[ReportRow]:
    return await store.report_rows(tx, guild_id, since, user_id, after_id, limit)


def _fit(plain: IO[bytes], limit: int, name: str) -> tuple[list[ReportFile], str]:
    size = plain.seek(0, io.SEEK_END)
    plain.seek(0)
    if size <= limit:
        return [ReportFile(f"{name}.csv", plain.read())], "plain"
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0) as gz:
        while chunk := plain.read(1 << 16):
            gz.write(chunk)
    if packed.tell() <= limit:
        return [ReportFile(f"{name}.csv.gz", packed.getvalue())], "compressed"
    del packed
    plain.seek(0)
    return list(_split(plain, limit, name)), "split"


def _split(plain: IO[bytes], limit: int, name: str) -> Iterator[ReportFile]:
    """Parts of whole rows, each starting with the header and at most `limit` bytes."""
    header = plain.readline()
    part, number = io.BytesIO(), 1
    part.write(header)
    for line in plain:
        if part.tell() + len(line) > limit and part.tell() > len(header):
            yield ReportFile(f"{name}-part{number}.csv", part.getvalue())
            part, number = io.BytesIO(), number + 1
            part.write(header)
        part.write(line)
    if part.tell() > len(header) or number == 1:
        yield ReportFile(f"{name}-part{number}.csv", part.getvalue())
