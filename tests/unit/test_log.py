"""The log filter: a configured secret never reaches a log line, traceback included."""

from __future__ import annotations

import logging

import pytest

from bot.log import RedactSecrets

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
