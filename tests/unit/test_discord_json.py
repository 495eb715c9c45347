"""discord.py reads and writes its JSON (each job's gateway event, requests and answers)
with orjson, which the bot installs for it; the JSON it writes reads back the same."""

from __future__ import annotations

import json

import discord.utils


def test_discord_py_uses_orjson_and_its_json_reads_back_the_same() -> None:
    assert discord.utils.HAS_ORJSON
    payload = {"content": "Done: 🎲 <@1> “quoted”", "components": [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": "Reroll",
                                    "custom_id": "fluxcord:reroll:" + "0" * 32,
                                    "emoji": {"id": None, "name": "🎲"}}]}],
        "flags": 64, "id": 2**63 - 1}
    written = discord.utils._to_json(payload)
    assert json.loads(written) == payload
    assert discord.utils._from_json(written) == payload
