"""Logging set-up, with a filter that keeps configured secrets out of every log line."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import discord

from bot.redact import scrub
from bot.storage import redact_url

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# An interaction's token (kept with a job so a restarted bot can still answer) is a
# secret too; it travels in the path of webhook and interaction-callback URLs.
_TOKEN_IN_PATH = re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_\-.]{20,}")
# The job, server and shard the current task works for (`bind`); asyncio gives each task
# a copy, so one member's job never tags another's lines.
_CONTEXT: contextvars.ContextVar[dict[str, int | str]] = contextvars.ContextVar("log_context")
_CONTEXT_KEYS = ("job", "server", "shard")


def bind(**fields: int | str | None) -> None:
    """Tags the current task's later log lines with `fields` (job, server, shard) in the
    JSON format; None leaves a field as it was."""
    given = {k: v for k, v in fields.items() if v is not None}
    _CONTEXT.set({**_CONTEXT.get({}), **given})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, and the
    job, server and shard where the task bound them. Runs after RedactSecrets, so the
    message and traceback are the scrubbed ones."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = _CONTEXT.get({})
        entry.update((k, context[k]) for k in _CONTEXT_KEYS if k in context)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class OneLineFormatter(logging.Formatter):
    """The plain format, one line per message: a line break in the message (a reason or
    a name someone typed) is written as `\\n`, so it cannot start a line that passes for
    one of the bot's own. A traceback still follows on its own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = record.message.replace("\r", "\\r").replace("\n", "\\n")
        return super().formatMessage(record)


class RedactSecrets(logging.Filter):
    """Replaces any configured secret that reaches a log record with `***`.

    The code never logs a key on purpose; this is the net under that rule, for
    third-party messages (a library's URL or repr) we do not control.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 4]

    def _scrub(self, text: str) -> str:
        return _TOKEN_IN_PATH.sub(r"\1***", scrub(text, self._secrets))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = self._scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and record.exc_info[1] is not None:
            # Render the traceback now, scrubbed, so the handler does not re-render it raw.
            record.exc_text = self._scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def setup_logging(level: str, secrets: Iterable[str] = (), fmt: str = "plain") -> None:
    """Configures the root logger once for the process; `fmt` is LOG_FORMAT."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else OneLineFormatter(_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("discord.http").setLevel(logging.WARNING)


def quiet_voice_warnings() -> None:
    """Stops discord.py warning at start that PyNaCl and davey are absent.

    fluxcord never joins a voice channel, so the warning only alarms operators. These are
    the flags discord.py itself clears after warning once.
    """
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def describe_database(url: str) -> str:
    """Where the database is, for the start-up log line, with any password masked."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return f"SQLite file {path.resolve()}"
    return redact_url(url)
