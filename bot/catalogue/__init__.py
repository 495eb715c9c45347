"""The model catalogue: what each model takes, per provider, and the checks built on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.catalogue.data import MODELS, PROMPT_MAX, RATIOS, SEED_MAX
from bot.catalogue.schema import Kind, Model, OptionError, Param, ProviderSchema, snap
from bot.catalogue.shape import can_shape
from bot.i18n import tr

__all__ = [
    "MODELS",
    "PROMPT_MAX",
    "RATIOS",
    "SEED_MAX",
    "Kind",
    "Model",
    "OptionError",
    "Param",
    "ProviderSchema",
    "check_options",
    "discord_range",
    "snap",
]


def models_taking(option: str, offered: Mapping[str, Model] = MODELS) -> list[str]:
    return [m.id for m in offered.values() if m.takes(option) or (
        option == "aspect_ratio" and any(can_shape(s, "1:1") for s in m.schemas))]


def check_options(
    model: Model, options: Mapping[str, Any], offered: Mapping[str, Model] = MODELS
) -> None:
    """Refuses, with a message for the user, any option `model` does not take or range it
    cannot hold. `options` holds only what the user set (not the prompt). `offered` is the
    catalogue as this bot serves it (each model with the providers it has set up)."""
    model = offered.get(model.id, model)
    for name, value in options.items():
        if name == "aspect_ratio" and any(can_shape(s, str(value)) for s in model.schemas):
            continue  # a provider that takes only a size makes it (bot/catalogue/shape.py)
        if not model.takes(name):
            takers = [offered[m].named for m in models_taking(name, offered)]
            where = tr(" It works with {models}.", models=", ".join(takers)) if takers else ""
            raise OptionError(name, tr("{model} does not take `{option}`.{where}",
                                       model=model.named, option=name, where=where))
        param = model.param(name)
        assert param is not None
        # Within the union of the providers' ranges (snapping happens per provider later).
        if not any(s.accepts({name: value}) for s in model.schemas if s.takes(name)):
            param.check(value)  # raises with the range in words
            raise OptionError(name, tr("`{option}` must be {values} for {model}.", option=name,
                                       values=param.describe_range(), model=model.named))
    ratio = options.get("aspect_ratio")
    sized = [n for n in ("width", "height") if n in options]
    if sized and ratio is not None and ratio != "custom":
        raise OptionError(
            sized[0], "`width` and `height` only apply with `aspect_ratio: custom`."
        )


def discord_range(option: str) -> Param:
    """The range of an option across every model: what Discord itself can enforce."""
    from bot.catalogue.schema import merge_params

    params = [s.params[option] for m in MODELS.values() for s in m.schemas if s.takes(option)]
    return merge_params(params)
