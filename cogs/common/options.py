"""The one declaration of /imagine's options: the ranges Discord checks (the widest over
every model; each model's own is checked after), the choices, the descriptions and the
autocompletes, shared by /imagine, /preset save and /edit; and the one builder that turns
the values a member gave into a job's request."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.catalogue import PROMPT_MAX, RATIOS, SEED_MAX, discord_range
from bot.jobs.request import COUNT_MAX, Attachment, ImagineRequest
from cogs.common.autocomplete import board_names, preset_names, recent_prompts
from cogs.common.context import MODEL_CHOICES, request_here

_STEPS, _GUIDANCE = discord_range("steps"), discord_range("guidance")
_WIDTH, _STRENGTH = discord_range("width"), discord_range("prompt_strength")
_QUALITY, _SAFETY = discord_range("output_quality"), discord_range("safety_tolerance")
STEPS_MIN, STEPS_MAX = int(_STEPS.min or 1), int(_STEPS.max or 50)
GUIDANCE_MIN, GUIDANCE_MAX = float(_GUIDANCE.min or 0), float(_GUIDANCE.max or 50)
SIDE_MIN, SIDE_MAX = int(_WIDTH.min or 256), int(_WIDTH.max or 1440)
STRENGTH_MIN, STRENGTH_MAX = float(_STRENGTH.min or 0), float(_STRENGTH.max or 1)
QUALITY_MIN, QUALITY_MAX = int(_QUALITY.min or 0), int(_QUALITY.max or 100)
SAFETY_MIN, SAFETY_MAX = int(_SAFETY.min or 1), int(_SAFETY.max or 6)

RATIO_CHOICES = [app_commands.Choice(name=r, value=r) for r in (*RATIOS, "custom")]
FORMAT_CHOICES = [
    app_commands.Choice(name=f, value=f) for f in discord_range("output_format").choices
]
MEGAPIXEL_CHOICES = [
    app_commands.Choice(name=f"{mp} MP", value=mp) for mp in discord_range("megapixels").choices
]

# The option types Discord checks, each declared once (the widest range over every model).
Side = app_commands.Range[int, SIDE_MIN, SIDE_MAX]
Steps = app_commands.Range[int, STEPS_MIN, STEPS_MAX]
Guidance = app_commands.Range[float, GUIDANCE_MIN, GUIDANCE_MAX]
Seed = app_commands.Range[int, 0, SEED_MAX]
Strength = app_commands.Range[float, STRENGTH_MIN, STRENGTH_MAX]
Quality = app_commands.Range[int, QUALITY_MIN, QUALITY_MAX]
Safety = app_commands.Range[int, SAFETY_MIN, SAFETY_MAX]
Prompt = app_commands.Range[str, 1, PROMPT_MAX]
Named = app_commands.Range[str, 1, 100]  # a board's or a preset's name, as typed
Count = app_commands.Range[int, 1, COUNT_MAX]

# What each of /imagine's options means, as Discord shows it under the option; a command
# that takes one of them says the same unless it passes its own words.
DESCRIPTIONS = {
    "prompt": "What to draw",
    "model": "Which FLUX model (default: this server's)",
    "aspect_ratio": "Shape of the image; custom uses width and height",
    "width": "Width in pixels, with aspect_ratio custom",
    "height": "Height in pixels, with aspect_ratio custom",
    "steps": "Diffusion steps: more is slower and finer",
    "guidance": "How closely to follow the prompt",
    "seed": "Seed, to reproduce an image (random if unset)",
    "image": "An image to start from or to guide the composition",
    "prompt_strength": "How far to move away from the input image (0-1)",
    "output_format": "File format of the result",
    "output_quality": "Compression quality (0-100)",
    "safety_tolerance": "1 is strictest; capped by the server",
    "prompt_upsampling": "Let the model enrich the prompt",
    "megapixels": "Output size in megapixels (flux-dev)",
    "go_fast": "Faster, slightly rougher generation (flux-dev)",
    "board": "A board of this server: its style fills the options you leave unset",
    "preset": "One of your presets: its options fill the ones you leave unset",
    "count": "How many images (1-4), each with its own seed; each one costs the model's price",
}
CHOICES: dict[str, list[app_commands.Choice[str]]] = {
    "model": MODEL_CHOICES,
    "aspect_ratio": RATIO_CHOICES,
    "output_format": FORMAT_CHOICES,
    "megapixels": MEGAPIXEL_CHOICES,
}
AUTOCOMPLETE = {"prompt": recent_prompts, "board": board_names, "preset": preset_names}

# The options a job passes to the model as they are (the others say what to run and how).
MODEL_OPTIONS = ("aspect_ratio", "width", "height", "steps", "guidance", "prompt_strength",
                 "output_format", "output_quality", "safety_tolerance", "prompt_upsampling",
                 "megapixels", "go_fast")
# What a preset keeps: those, with a fixed seed among them.
PRESET_OPTIONS = (*MODEL_OPTIONS[:5], "seed", *MODEL_OPTIONS[5:])

Command = TypeVar("Command", bound=Callable[..., Any])


def imagine_options(*, describe: Mapping[str, str] | None = None,
                    choices: Mapping[str, list[app_commands.Choice[str]]] | None = None,
                    uncompleted: Collection[str] = ()) -> Callable[[Command], Command]:
    """Describes, offers the choices of and autocompletes each of /imagine's options that
    the decorated command takes, as /imagine does; `describe` and `choices` give a
    command's own words or choices for some of them, and `uncompleted` names those it
    does not autocomplete. Put it under `app_commands.command`."""

    def apply(command: Command) -> Command:
        taken = set(inspect.signature(command).parameters)
        words = {n: d for n, d in {**DESCRIPTIONS, **(describe or {})}.items() if n in taken}
        chosen = {n: c for n, c in {**CHOICES, **(choices or {})}.items() if n in taken}
        completed = {n: f for n, f in AUTOCOMPLETE.items()
                     if n in taken and n not in uncompleted}
        command = app_commands.describe(**words)(command)
        if chosen:
            command = app_commands.choices(**chosen)(command)
        if completed:
            command = app_commands.autocomplete(**completed)(command)
        return command

    return apply


def given_values(interaction: discord.Interaction[Any]) -> dict[str, Any]:
    """The values the member gave to the options the running command declares
    (`interaction.namespace` holds them as Discord checked them); anything else the
    interaction may carry is left out."""
    command = interaction.command
    declared = {p.name for p in command.parameters} if isinstance(
        command, app_commands.Command) else set()
    return {name: value for name, value in interaction.namespace
            if name in declared and value is not None}


def given_options(values: Mapping[str, Any], names: tuple[str, ...] = MODEL_OPTIONS
                  ) -> dict[str, Any]:
    """The options of `names` among the `given_values`; width or height without a shape
    mean a custom one."""
    chosen = {name: values[name] for name in names if name in values}
    if ("width" in chosen or "height" in chosen) and "aspect_ratio" not in chosen:
        chosen["aspect_ratio"] = "custom"
    return chosen


def imagine_request(interaction: discord.Interaction[Any], *, model: str | None = None
                    ) -> ImagineRequest:
    """The request a command of /imagine's options makes, from the values the member gave
    (`model` fixes the model, as /edit does): the one place they become a request."""
    values = given_values(interaction)
    image = values.get("image")
    attachment = None
    if isinstance(image, discord.Attachment):
        attachment = Attachment(image.url, image.filename, image.content_type, image.size)
    return request_here(interaction, values["prompt"], model=model or values.get("model"),
                        options=given_options(values), attachment=attachment,
                        seed=values.get("seed"), board=values.get("board"),
                        preset=values.get("preset"), count=values.get("count") or 1)
