"""The operator's C2PA keys are checked when the bot opens (and by `check`), and what a
manifest says reaches the member as plain text only."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import check
from bot.provenance.reading import Manifest
from bot.provenance.signing import SigningError, load_signer
from bot.settings import Settings
from cogs.provenance.cog import describe
from tests.support.c2pa_signing import make_credentials


def _pems(tmp_path: Path) -> tuple[Path, Path]:
    credentials = make_credentials()
    cert, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    cert.write_bytes(credentials.chain)
    key.write_bytes(credentials.key)
    return cert, key


def test_keys_that_cannot_sign_are_refused_naming_the_settings(tmp_path: Path) -> None:
    cert, key = _pems(tmp_path)
    assert load_signer(None, None) is None
    assert load_signer(cert, key) is not None
    with pytest.raises(SigningError, match="both C2PA_SIGN_CERT and C2PA_SIGN_KEY"):
        load_signer(cert, None)
    with pytest.raises(SigningError, match="C2PA_SIGN_CERT/C2PA_SIGN_KEY cannot sign"):
        load_signer(key, cert)  # swapped
    with pytest.raises(SigningError, match="cannot read"):
        load_signer(tmp_path / "missing.pem", key)


async def test_check_says_whether_signing_works(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    cert, key = _pems(tmp_path)
    base = {"DISCORD_TOKEN": "t", "DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}",
            "PLACEHOLDER_PROVIDER": True}
    assert await check(Settings.model_validate(
        {**base, "C2PA_SIGN_CERT": str(cert), "C2PA_SIGN_KEY": str(key)})) == 0
    assert "c2pa signing: on" in capsys.readouterr().out
    assert await check(Settings.model_validate(
        {**base, "C2PA_SIGN_CERT": str(key), "C2PA_SIGN_KEY": str(cert)})) == 1
    assert "c2pa signing: C2PA_SIGN_CERT/C2PA_SIGN_KEY cannot sign" in capsys.readouterr().out


def test_a_manifests_text_is_never_a_mention_or_markup() -> None:
    found = Manifest(signer="@everyone **Bold Org**", ai_generated=True,
                     model="<@123> model", provider=None, state="Valid", untrusted=True,
                     parent_signer=None)
    text = describe("a.png", found)
    assert "@everyone" not in text and "**Bold" not in text and "<@123>" not in text
