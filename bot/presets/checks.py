"""How preferences and presets are checked before they are stored: like the options of a
command, so that what is saved is what /imagine can run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.catalogue import MODELS, Model, OptionError, check_options
from bot.errors import UserError
from bot.i18n import Text, join, tr
from bot.mentions import typed

SUFFIX_MAX = 200
NAME_MAX = 50
# /imagine options a preset may hold: every one but the prompt and the image (and the
# board and preset, which are not options of the image).
PRESET_OPTIONS = ("aspect_ratio", "width", "height", "steps", "guidance", "seed",
                  "prompt_strength", "output_format", "output_quality", "safety_tolerance",
                  "prompt_upsampling", "megapixels", "go_fast")


def check_values(model: str | None, options: Mapping[str, Any],
                 offered: Mapping[str, Model] = MODELS) -> None:
    """With a model, every value against it; without one, each value must suit some
    model. Raises UserError naming the models that take what the member chose."""
    if model is not None:
        chosen = offered.get(model) or MODELS.get(model)
        if chosen is None:
            raise UserError(tr("There is no model `{model}`. See /models.",
                               model=model))
    for name, value in options.items():
        if name == "seed":
            continue
        takers = [m.named for m in offered.values() if _takes(m, name, value, offered)]
        if model is not None:
            try:
                check_options(offered.get(model) or MODELS[model], {name: value}, offered)
            except OptionError:
                where = f" It works with {', '.join(takers)}." if takers else ""
                named = (offered.get(model) or MODELS[model]).named
                raise UserError(tr("`{name}: {value}` does not work with {named}.{where}",
                                   name=name, value=value, named=named, where=where)
                                ) from None
        elif not takers:
            raise UserError(tr("No model takes `{name}: {value}`. See /models.",
                               name=name, value=value))
    if model is not None:
        check_options(offered.get(model) or MODELS[model],
                      {k: v for k, v in options.items() if k != "seed"}, offered)


def check_preferences(prefs: Mapping[str, Any], offered: Mapping[str, Model] = MODELS
                      ) -> dict[str, Any]:
    """The preferences to store (None values removed, the suffix tidied)."""
    prefs = {k: v for k, v in prefs.items() if v is not None}
    if prefs.get("aspect_ratio") == "custom":
        raise UserError(tr("A preference cannot be `aspect_ratio: custom` (it has no width and "
                           "height); pick a fixed ratio."))
    suffix = " ".join(str(prefs.pop("prompt_suffix", "")).split())
    if len(suffix) > SUFFIX_MAX:
        raise UserError(tr("`prompt_suffix` is at most {suffix_max} characters.",
                           suffix_max=SUFFIX_MAX))
    options = {k: v for k, v in prefs.items() if k != "model"}
    check_values(prefs.get("model"), options, offered)
    return {**prefs, **({"prompt_suffix": suffix} if suffix else {})}


def check_preset(name: str, model: str | None, options: Mapping[str, Any],
                 offered: Mapping[str, Model] = MODELS) -> tuple[str, dict[str, Any]]:
    """The preset's tidied name and the options to store (model included)."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= NAME_MAX:
        raise UserError(tr("A preset's name is 1-{name_max} characters.",
                           name_max=NAME_MAX))
    options = {k: v for k, v in options.items() if v is not None}
    if ("width" in options or "height" in options) and "aspect_ratio" not in options:
        options["aspect_ratio"] = "custom"  # as /imagine reads width and height
    if not options and model is None:
        raise UserError(tr("Give the preset at least one option to keep."))
    check_values(model, options, offered)
    return name, {**({"model": model} if model else {}), **options}


def _takes(model: Model, name: str, value: Any, offered: Mapping[str, Model]) -> bool:
    try:
        check_options(model, {name: value}, offered)
    except OptionError:
        return False
    return True


def describe(values: Mapping[str, Any]) -> Text:
    """Stored values in one line: `model flux-dev · aspect_ratio 16:9 · …`."""
    parts = [f"{k} {v}" if k != "prompt_suffix"
             else tr("suffix “{suffix}”", suffix=typed(str(v))) for k, v in values.items()]
    return join(parts, " · ") if parts else tr("nothing")
