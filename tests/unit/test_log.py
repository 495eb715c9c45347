"""The log filter: a configured secret never reaches a log line, traceback included."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.log import OneLineFormatter, RedactSecrets, describe_database
from bot.settings import Settings
from bot.storage import redact_url

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


def test_a_line_break_typed_into_a_message_starts_no_line_of_its_own() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("test.oneline")
    logger.addHandler(handler)
    try:
        forged = "spam\r\nERROR bot.providers.router: provider BFL is out"
        logger.warning("server %d: blocked for %s", 10, forged)
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    lines = out.getvalue().splitlines()
    assert lines[0] == ("WARNING test.oneline: server 10: blocked for spam\\r\\nERROR "
                        "bot.providers.router: provider BFL is out")
    assert lines[1] == "ERROR test.oneline: failed"
    assert lines[2] == "Traceback (most recent call last):"  # a traceback keeps its lines


def test_database_line_masks_a_postgres_password_and_resolves_sqlite_paths() -> None:
    shown = describe_database("postgresql://fluxcord:hunter2-secret@db:5432/fluxcord")
    assert shown == "postgresql://fluxcord:***@db:5432/fluxcord"
    assert "hunter2" not in describe_database("postgresql://u:hunter2%40x@db/fluxcord")
    assert describe_database("postgresql://db/fluxcord") == "postgresql://db/fluxcord"
    assert describe_database("sqlite:////var/lib/fluxcord.db") == "SQLite file /var/lib/fluxcord.db"
    assert describe_database("sqlite:///data/f.db") == f"SQLite file {Path('data/f.db').resolve()}"


@pytest.mark.parametrize("url", [
    "postgresql://fluxcord:hunter2-secret@db:5432/fluxcord",
    # libpq's and asyncpg's other place for it, in any case
    "postgresql://fluxcord@db:5432/fluxcord?sslmode=require&password=hunter2-secret",
    "postgresql://fluxcord@db:5432/fluxcord?PASSWORD=hunter2-secret&sslmode=require",
    # a raw @ an operator did not encode (a raw / makes the setting invalid)
    "postgresql://fluxcord:hunter2@secret@db:5432/fluxcord",
])
def test_a_database_password_is_masked_wherever_the_url_holds_it(url: str) -> None:
    settings = Settings(_env_file=None, DISCORD_TOKEN="t",  # type: ignore[call-arg]
                        DATABASE_URL=url)
    for shown in (describe_database(url), settings.database_name, redact_url(url)):
        assert "hunter2" not in shown and "secret" not in shown and "***" in shown
        assert shown.startswith("postgresql://fluxcord") and "db:5432/fluxcord" in shown
    assert any("hunter2" in secret for secret in settings.secrets())
    assert "hunter2" not in redact_url("postgresql://fluxcord:hunter2/x@db:5432/fluxcord")


def test_a_database_that_cannot_be_reached_stops_the_bot_without_its_password(
    tmp_path: Path,
) -> None:
    # Nothing listens on port 1; before, the error came out as a traceback on stderr,
    # with a password given in the URL's query as it was written.
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DISCORD_TOKEN": "t",
           "DATABASE_URL": "postgresql://fluxcord@127.0.0.1:1/fluxcord?password=hunter2-x"}
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    said = done.stdout + done.stderr
    assert done.returncode == 1
    assert "fluxcord stopped: the database failed: cannot connect to" in said
    assert "password=***" in said and "hunter2" not in said
    assert "Traceback" not in said
