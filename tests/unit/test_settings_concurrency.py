"""A provider's own limit of calls at once, from the config file's `[concurrency]` table."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.providers import build_router
from bot.providers.http import make_http_client
from bot.settings import SettingsError, load_settings


async def test_a_provider_limit_in_the_config_file_replaces_provider_concurrency(
    tmp_path: Path,
) -> None:
    config = tmp_path / "fluxcord.toml"
    config.write_text("[concurrency]\nbfl = 24\n", encoding="utf-8")
    settings = load_settings(_env_file=None, DISCORD_TOKEN="t", FLUXCORD_CONFIG=str(config),
                             PROVIDER_CONCURRENCY="6")
    assert settings.provider_concurrency("bfl") == 24
    assert settings.provider_concurrency("onemin") == 6
    async with make_http_client() as http:
        router = build_router(settings, http)
    assert (router.limit("bfl"), router.limit("onemin")) == (24, 6)


@pytest.mark.parametrize("table", ["[concurrency]\nnobody = 3\n", "[concurrency]\nbfl = 0\n"])
def test_an_unknown_provider_or_a_limit_below_one_is_refused(tmp_path: Path, table: str) -> None:
    config = tmp_path / "fluxcord.toml"
    config.write_text(table, encoding="utf-8")
    with pytest.raises(SettingsError):
        load_settings(_env_file=None, DISCORD_TOKEN="t", FLUXCORD_CONFIG=str(config))
