"""The README's invite URL asks for exactly the permissions its table explains."""

from __future__ import annotations

import re
from pathlib import Path

import discord

README = Path(__file__).resolve().parents[2] / "README.md"


def test_invite_permissions_integer_matches_the_table() -> None:
    text = README.read_text(encoding="utf-8")
    url = re.search(r"https://discord\.com/oauth2/authorize\?\S+", text)
    assert url, "no invite URL in the README"
    assert "scope=bot+applications.commands" in url.group(0)
    asked = int(re.search(r"permissions=(\d+)", url.group(0)).group(1))  # type: ignore[union-attr]

    rows = re.findall(r"^\| ([A-Z][A-Za-z ]+) \| (\d+) \|", text, flags=re.MULTILINE)
    assert rows, "no permission table in the README"
    permissions = discord.Permissions.none()
    for name, value in rows:
        flag = name.lower().replace(" ", "_").replace("view_channels", "view_channel")
        assert getattr(discord.Permissions, flag).flag == int(value), name
        permissions |= discord.Permissions(**{flag: True})
    assert permissions.value == asked
    assert not permissions.use_external_emojis
