"""The log filter: a configured secret never reaches a log line, traceback included."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.log import RedactSecrets, describe_database

SECRET = "afk_live_0123456789abcdef"


def test_secrets_are_redacted_from_messages_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.redact")
    handler_filter = RedactSecrets([SECRET])
    caplog.handler.addFilter(handler_filter)
    try:
        logger.warning("calling https://api.example/?key=%s", SECRET)
        try:
            raise RuntimeError(f"bad key {SECRET}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        caplog.handler.removeFilter(handler_filter)
    text = caplog.text
    assert SECRET not in text
    assert "key=***" in text and "bad key ***" in text


def test_database_line_masks_a_postgres_password_and_resolves_sqlite_paths() -> None:
    shown = describe_database("postgresql://fluxcord:hunter2-secret@db:5432/fluxcord")
    assert shown == "postgresql://fluxcord:***@db:5432/fluxcord"
    assert "hunter2" not in describe_database("postgresql://u:hunter2%40x@db/fluxcord")
    assert describe_database("postgresql://db/fluxcord") == "postgresql://db/fluxcord"
    assert describe_database("sqlite:////var/lib/fluxcord.db") == "SQLite file /var/lib/fluxcord.db"
    assert describe_database("sqlite:///data/f.db") == f"SQLite file {Path('data/f.db').resolve()}"
