"""Interaction tokens, kept with jobs so a restarted bot can answer, never reach a log."""

from __future__ import annotations

import logging

import pytest

from bot.log import RedactSecrets

TOKEN = "aW50ZXJhY3Rpb246MTIzOnNlY3JldC10b2tlbi12YWx1ZQ"


def test_interaction_tokens_in_urls_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact.tokens")
    handler_filter = RedactSecrets([])
    caplog.handler.addFilter(handler_filter)
    try:
        logger.warning("PATCH https://discord.com/api/v10/webhooks/123/%s/messages/@original",
                       TOKEN)
        logger.warning("POST /api/v10/interactions/456/%s/callback failed", TOKEN)
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert TOKEN not in caplog.text
    assert "/webhooks/123/***/messages/@original" in caplog.text
    assert "/interactions/456/***/callback" in caplog.text
