"""`python -m bot check` says what is true about each provider and each model's route."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.__main__ import describe_providers
from bot.providers import build_router
from bot.providers.http import ProviderTiming
from bot.settings import Settings
from tests.support.standins.providers import ProviderStandIns

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> str:
    with socket.socket() as sock:  # free a moment ago: nothing listens there now
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def describe(
    standins: ProviderStandIns, http: aiohttp.ClientSession, timing: ProviderTiming, **env: Any
) -> tuple[dict[str, str], int]:
    settings = Settings.model_validate(
        {"DISCORD_TOKEN": "t", **standins.settings_env(bfl=True), **env}
    )
    lines, problems = await describe_providers(build_router(settings, http, timing=timing))
    found = {}
    for line in lines:
        what, _, state = line.partition(": ")
        found[what] = state
    return found, problems


async def test_every_key_works(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming,
) -> None:
    found, problems = await describe(provider_standins, provider_http, fast_timing)
    assert problems == 0
    assert found["provider apiframe"] == "configured, key works"
    assert found["provider segmind"] == "configured, key works; 25 USD of credit left"
    assert found["provider bfl"] == "configured, key works; 120.5 credits left"
    assert found["provider onemin"].startswith("configured (key not checked")
    assert found["provider placeholder"] == "off"
    assert found["route flux-1.1-pro (FLUX1.1 [pro])"] == "apiframe, then segmind, then bfl"
    assert found["route flux-2-pro (FLUX.2 [pro])"] == "onemin, then bfl"
    assert len(provider_standins.apiframe.recorded("/v2/jobs", "GET")) == 1
    assert len(provider_standins.bfl.recorded("/v1/credits", "GET")) == 1


@pytest.mark.parametrize("provider", ["apiframe", "segmind", "bfl"])
async def test_a_refused_key_is_said_and_leaves_the_route(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, provider: str,
) -> None:
    found, problems = await describe(provider_standins, provider_http, fast_timing,
                                     **{f"{provider.upper()}_API_KEY": "not-the-key"})
    assert problems == 1
    assert found[f"provider {provider}"].startswith("configured, key REFUSED")
    assert "not-the-key" not in found[f"provider {provider}"]
    assert provider not in found["route flux-1.1-pro (FLUX1.1 [pro])"]


@pytest.mark.parametrize("provider", ["apiframe", "segmind", "bfl"])
async def test_an_unreachable_host_is_said_as_unreachable(
    provider_standins: ProviderStandIns, provider_http: aiohttp.ClientSession,
    fast_timing: ProviderTiming, provider: str,
) -> None:
    found, problems = await describe(provider_standins, provider_http, fast_timing,
                                     **{f"{provider.upper()}_BASE_URL": closed_port()})
    assert problems == 1
    state = found[f"provider {provider}"]
    assert "unreachable" in state and "key works" not in state


async def test_the_placeholder_says_which_models_it_serves(
    provider_http: aiohttp.ClientSession, fast_timing: ProviderTiming,
) -> None:
    settings = Settings.model_validate({"DISCORD_TOKEN": "t", "PLACEHOLDER_PROVIDER": True})
    lines, problems = await describe_providers(build_router(settings, provider_http,
                                                            timing=fast_timing))
    assert problems == 0
    assert ("provider placeholder: on (placeholder), serves flux-1.1-pro, flux-pro, "
            "flux-2-pro, flux-dev, flux-2-pro-edit, blend, vary, zoom-out, pan, "
            "vary-region") in lines
    assert "route flux-dev (FLUX.1 [dev]): placeholder" in lines


def test_check_exits_non_zero_when_no_model_can_be_served(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN="discord-token",
               DATABASE_URL=f"sqlite:///{tmp_path / 'fluxcord.db'}")
    result = subprocess.run([sys.executable, "-m", "bot", "check"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no model can be served" in result.stdout
    assert "route flux-1.1-pro (FLUX1.1 [pro]): none" in result.stdout
