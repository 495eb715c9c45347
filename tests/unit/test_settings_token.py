"""An empty DISCORD_TOKEN (as in a freshly copied `.env.example`) is as missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from tests.unit.test_settings import run_bot


@pytest.mark.parametrize("token", ["", "   "])
def test_blank_token_from_the_environment_is_not_set(
    token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", token)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert caught.value.lines == [
        "DISCORD_TOKEN: is not set (expected the bot token from the Discord Developer Portal)"
    ]


def test_blank_token_from_env_file_exits_2_naming_the_variable(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DISCORD_TOKEN=\nLOG_LEVEL=INFO\n", encoding="utf-8")
    result = run_bot(env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN: is not set" in result.stderr
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert len(problems) == 1, result.stderr
