"""Every cog loads, and no two commands share a name."""

from __future__ import annotations

import importlib
import pkgutil
from collections import Counter

from discord.ext import commands

import cogs
from bot.client import COGS
from bot.jobs.request import Attachment, ImagineRequest
from cogs.common.job.embed import parameters_line


def test_every_cog_module_is_loaded_by_the_bot() -> None:
    extensions = {m.name for m in pkgutil.walk_packages(cogs.__path__, "cogs.")
                  if hasattr(importlib.import_module(m.name), "setup")}
    assert extensions == set(COGS)


def test_command_names_are_unique() -> None:
    names: Counter[str] = Counter()
    for name in COGS:
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, commands.Cog) and obj is not commands.Cog:
                if issubclass(obj, commands.GroupCog) and obj.__cog_group_name__:
                    names[str(obj.__cog_group_name__)] += 1
                    continue
                for command in obj.__cog_app_commands__:
                    names[command.name] += 1
    assert names and max(names.values()) == 1, names
    assert {"imagine", "models", "credits", "safety"} <= set(names)


def test_commands_have_descriptions() -> None:
    for name in COGS:
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, commands.Cog):
                for command in getattr(obj, "__cog_app_commands__", []):
                    assert command.description and command.description != "…", command.name


def test_parameters_read_as_one_line() -> None:
    request = ImagineRequest(
        guild_id=1, channel_id=2, user_id=3, prompt="a cat",
        options={"aspect_ratio": "16:9", "steps": 30, "guidance": 4.5, "output_format": "png",
                 "prompt_upsampling": False, "megapixels": "0.25"},
        attachment=Attachment("https://cdn/x.png", "ref.png", "image/png", 10),
    )
    assert parameters_line(request) == (
        "aspect ratio 16:9 · 30 steps · guidance 4.5 · PNG · no prompt upsampling · 0.25 MP"
        " · from ref.png"
    )
    custom = ImagineRequest(guild_id=1, channel_id=2, user_id=3, prompt="a cat",
                            options={"width": 512, "height": 512, "aspect_ratio": "custom"})
    assert parameters_line(custom) == ""  # the size is in its own field
