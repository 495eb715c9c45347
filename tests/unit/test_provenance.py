"""Content credentials are found in each format a provider returns, and only there."""

from __future__ import annotations

import pytest

from bot import provenance
from tests.support.c2pa_signing import make_credentials, sign
from tests.support.standins.images import make_image

MIMES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@pytest.mark.parametrize("fmt", sorted(MIMES))
def test_a_signed_file_has_credentials_and_the_same_file_unsigned_has_none(fmt: str) -> None:
    plain = make_image(96, 64, fmt)
    signed = sign(plain, MIMES[fmt], make_credentials())
    assert provenance.has_credentials(signed)
    assert not provenance.has_credentials(plain)


def test_the_note_of_a_reencoded_file_says_what_was_lost_only_when_it_had_credentials(
) -> None:
    plain = make_image(96, 64, "png")
    signed = sign(plain, "image/png", make_credentials())
    assert provenance.fitted_note(signed, None) is None  # posted as it came
    assert provenance.fitted_note(plain, "Re-encoded.") == "Re-encoded."
    assert provenance.fitted_note(signed, "Re-encoded.") == (
        "Re-encoded. " + provenance.CREDENTIALS_LOST)
    assert not provenance.has_credentials(b"\x89PNG\r\n\x1a\n")  # truncated: no crash
