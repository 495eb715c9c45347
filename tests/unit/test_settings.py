"""Operator settings: typed, validated at start, one clear line per bad value, no secret shown."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.providers.registry import PROVIDERS
from bot.settings import Settings, SettingsError, load_settings
from tests.support.standins.providers import TEST_KEYS
from tests.support.standins.segmind import SegmindStandIn

ROOT = Path(__file__).resolve().parent.parent


def _clean_env() -> dict[str, str]:
    """The environment without any setting of the bot's (they are upper case)."""
    clean = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    clean["PYTHONPATH"] = str(ROOT)
    return clean


def run_bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env={**_clean_env(), **env}, cwd=cwd,
        capture_output=True, text=True, timeout=60,
    )


def test_defaults_match_the_spec() -> None:
    settings = Settings(_env_file=None, DISCORD_TOKEN="t")  # type: ignore[call-arg]
    assert settings.DATABASE_URL == "sqlite:///data/fluxcord.db"
    assert settings.database_path == Path("data/fluxcord.db")
    assert settings.SFW_SAFETY_MAX == 2
    assert settings.ALLOW_DMS is False
    assert settings.base_url("ONEMIN_BASE_URL") == "https://api.1min.ai"
    assert settings.base_url("APIFRAME_BASE_URL") == "https://api.apiframe.ai"
    assert settings.base_url("SEGMIND_BASE_URL") == "https://api.segmind.com"
    assert settings.api_key("SEGMIND_API_KEY") is None
    assert settings.cost("flux-dev", "2") > settings.cost("flux-dev", "0.25")


def test_each_provider_module_declares_its_own_settings() -> None:
    """Settings gains every registered provider's key and base URL, with the default its
    module declares: a new provider needs no edit of the settings."""
    hosted = [entry for entry in PROVIDERS if entry.key_setting]
    assert {entry.name for entry in hosted} == {"apiframe", "segmind", "onemin", "bfl"}
    defaults = Settings(_env_file=None, DISCORD_TOKEN="t")  # type: ignore[call-arg]
    keys = {entry.key_setting: f"key-of-{entry.name}" for entry in hosted}
    given = Settings(_env_file=None, DISCORD_TOKEN="t", **keys)  # type: ignore[call-arg]
    for entry in hosted:
        assert entry.key_setting and entry.url_setting and entry.url_default
        assert defaults.base_url(entry.url_setting) == entry.url_default
        assert defaults.api_key(entry.key_setting) is None
        key = given.api_key(entry.key_setting)
        assert key is not None and key.get_secret_value() == f"key-of-{entry.name}"
        assert f"key-of-{entry.name}" in given.secrets()
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, DISCORD_TOKEN="t", BFL_BASE_URL="not a url")
    assert [line.split(":", 1)[0] for line in caught.value.lines] == ["BFL_BASE_URL"]


def test_absolute_database_url() -> None:
    settings = Settings(_env_file=None, DISCORD_TOKEN="t",  # type: ignore[call-arg]
                        DATABASE_URL="sqlite:////var/lib/fluxcord/db.sqlite")
    assert settings.database_path == Path("/var/lib/fluxcord/db.sqlite")


def test_every_bad_value_gets_its_own_line_without_the_value() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, SFW_SAFETY_MAX="9", DEFAULT_MODEL="flux-9",
                      DATABASE_URL="postgres://x", ALLOW_DMS="perhaps",
                      ONEMIN_BASE_URL="not a url")
    lines = caught.value.lines
    names = [line.split(":", 1)[0] for line in lines]
    assert set(names) == {"DISCORD_TOKEN", "SFW_SAFETY_MAX", "DEFAULT_MODEL", "DATABASE_URL",
                          "ALLOW_DMS", "ONEMIN_BASE_URL"}
    assert any(line.startswith("DISCORD_TOKEN: is not set") for line in lines)
    assert "flux-9" not in "\n".join(lines)


def test_config_file_sets_costs_and_routing(tmp_path: Path) -> None:
    config = tmp_path / "fluxcord.toml"
    config.write_text('[costs]\n"flux-pro" = 9\n[routing]\n"flux-1.1-pro" = ["segmind"]\n')
    settings = load_settings(_env_file=None, DISCORD_TOKEN="t", FLUXCORD_CONFIG=str(config))
    assert settings.cost("flux-pro") == 9
    assert settings.cost("flux-2-pro") == 6
    assert settings.routing == {"flux-1.1-pro": ["segmind"]}
    config.write_text('[routing]\n"flux-1.1-pro" = ["nowhere"]\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, DISCORD_TOKEN="t", FLUXCORD_CONFIG=str(config))
    assert "unknown provider 'nowhere'" in str(caught.value)


def test_missing_token_exits_with_a_clear_message_and_no_traceback(tmp_path: Path) -> None:
    result = run_bot(env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN: is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_reports_providers_without_printing_keys(tmp_path: Path) -> None:
    secret = "segmind-secret-value-123456"
    result = run_bot("check", env={
        "DISCORD_TOKEN": "discord-secret-token-abcdef",
        "SEGMIND_API_KEY": secret,
        # Nothing listens here: the key check fails fast without reaching any real host.
        "SEGMIND_BASE_URL": "http://127.0.0.1:9",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'fluxcord.db'}",
    }, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert "configuration: ok" in output
    assert "database: ok" in output
    assert "provider onemin: not configured" in output
    assert "provider apiframe: not configured" in output
    assert "provider segmind: configured" in output
    assert secret not in output and "discord-secret-token-abcdef" not in output
    assert (tmp_path / "db" / "fluxcord.db").exists()


@pytest.mark.parametrize(("key", "verdict", "code"), [
    ("right", "provider segmind: configured, key works", 0),
    ("wrong", "provider segmind: configured, key REFUSED", 1),
])
async def test_check_tells_whether_the_segmind_key_works(
    tmp_path: Path, key: str, verdict: str, code: int
) -> None:
    async with SegmindStandIn(TEST_KEYS["segmind"]) as segmind:
        env = {**_clean_env(), "DISCORD_TOKEN": "discord-secret-token-abcdef",
               "SEGMIND_API_KEY": TEST_KEYS["segmind"] if key == "right" else "SG_not_it",
               "SEGMIND_BASE_URL": segmind.base_url,
               "DATABASE_URL": f"sqlite:///{tmp_path / 'fluxcord.db'}"}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "check", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    text = output.decode()
    assert verdict in text, text
    assert process.returncode == code
    assert "SG_not_it" not in text and TEST_KEYS["segmind"] not in text
