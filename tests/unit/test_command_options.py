"""/imagine's options are declared once: /preset save and /edit offer each option they
share with /imagine as /imagine does (same words, choices and ranges), except where they
say something of their own (the editor's own ranges and choices, a preset's fixed seed).

The payloads are the ones discord.py syncs to Discord, from the real cogs."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from cogs.edit.cog import Edit
from cogs.imagine.cog import Imagine
from cogs.presets.cog import Presets


def _options(command: app_commands.Command[Any, ..., Any]) -> dict[str, dict[str, Any]]:
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    return {o["name"]: o for o in command.to_dict(tree)["options"]}


IMAGINE = ["prompt", "model", "aspect_ratio", "width", "height", "steps", "guidance",
           "seed", "image", "prompt_strength", "output_format", "output_quality",
           "safety_tolerance", "prompt_upsampling", "megapixels", "go_fast", "board",
           "preset", "count"]


def test_the_commands_keep_their_options_in_order() -> None:
    assert list(_options(Imagine.imagine)) == IMAGINE
    assert list(_options(Presets.save)) == ["name", *(n for n in IMAGINE if n not in (
        "prompt", "image", "board", "preset", "count"))]
    assert list(_options(Edit.edit)) == [
        "image", "prompt", "aspect_ratio", "seed", "steps", "guidance", "output_format",
        "output_quality", "safety_tolerance", "prompt_upsampling"]


def test_preset_save_offers_imagines_options_as_imagine_does() -> None:
    imagine, save = _options(Imagine.imagine), _options(Presets.save)
    own = {"model": "Which FLUX model", "seed": "A fixed seed"}
    for name, option in save.items():
        if name == "name":
            continue
        expected = {**imagine[name], "description": own.get(name,
                                                            imagine[name]["description"])}
        assert option == expected, name
    assert imagine["prompt"]["autocomplete"] and imagine["board"]["autocomplete"]


def test_edit_says_what_imagine_says_but_for_the_editors_own() -> None:
    imagine, edit = _options(Imagine.imagine), _options(Edit.edit)
    own = {"image", "prompt", "aspect_ratio", "seed"}
    for name, option in edit.items():
        if name not in own:
            assert option["description"] == imagine[name]["description"], name
    # The editor's own shapes, and its prompt is not /imagine's recent prompts.
    assert "match_input_image" in [c["value"] for c in edit["aspect_ratio"]["choices"]]
    assert not edit["prompt"].get("autocomplete")
    assert edit["seed"] == {**imagine["seed"], "description": edit["seed"]["description"]}
