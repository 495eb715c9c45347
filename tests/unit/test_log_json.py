"""LOG_FORMAT=json: one JSON object per line, secrets scrubbed as in plain text, and each
task's job, server and shard on its own lines only."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest

from bot.log import bind, setup_logging

SECRET = "afk_live_0123456789abcdef"


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines()]


async def test_json_lines_carry_each_tasks_job_and_scrub_secrets(
    capsys: pytest.CaptureFixture[str], restore_root: None
) -> None:
    setup_logging("INFO", [SECRET], "json")
    log = logging.getLogger("bot.jobs")

    async def job(job_id: str, server: int) -> None:
        bind(server=server, shard=server % 2)
        await asyncio.sleep(0)
        bind(job=job_id)
        await asyncio.sleep(0)
        log.warning("job %s failed at onemin: key %s refused", job_id, SECRET)

    await asyncio.gather(job("j1", 11), job("j2", 20))
    log.info("no job here: \"quotes\", a newline\nand ünïcode")
    try:
        raise RuntimeError(f"bad key {SECRET}")
    except RuntimeError:
        log.exception("failed")

    err = capsys.readouterr().err
    assert SECRET not in err
    first, second, plain, failed = lines(err)
    assert first["level"] == "WARNING" and first["logger"] == "bot.jobs"
    assert str(first["time"]).endswith("+00:00")
    assert (first["job"], first["server"], first["shard"]) == ("j1", 11, 1)
    assert (second["job"], second["server"], second["shard"]) == ("j2", 20, 0)
    assert first["message"] == "job j1 failed at onemin: key *** refused"
    assert "job" not in plain
    assert plain["message"] == "no job here: \"quotes\", a newline\nand ünïcode"
    assert failed["message"] == "failed" and "bad key ***" in str(failed["error"])


def test_plain_text_stays_the_default(
    capsys: pytest.CaptureFixture[str], restore_root: None
) -> None:
    setup_logging("INFO", [SECRET])
    logging.getLogger("bot").info("hello %s", SECRET)
    err = capsys.readouterr().err
    assert err.rstrip().endswith("INFO    bot: hello ***")
    with pytest.raises(json.JSONDecodeError):
        json.loads(err)
