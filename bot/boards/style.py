"""A board's style: the options `/imagine board:<name>` takes from it.

A style is one layer of an option's sources (SPEC section 2: command, preset, board
style, preferences, server default, operator default); `bot.catalogue.resolve` orders
them. A style only fills what the member did not set and appends its suffix; a value
the chosen model does not take is dropped with a note, since the member did not ask
for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.catalogue import MODELS, Model, OptionError, check_options
from bot.catalogue.resolve import Layer, resolve, with_suffix
from bot.errors import UserError
from bot.i18n import Text, join, tr
from bot.mentions import typed

__all__ = ["STYLE_OPTIONS", "StyleLayer", "check_style", "describe_style", "with_suffix"]
from bot.texts import model_label

# The options a style holds besides the model and the prompt suffix.
STYLE_OPTIONS = ("aspect_ratio", "output_format")
SUFFIX_MAX = 200


@dataclass(frozen=True, slots=True)
class StyleLayer:
    """A board's style as a layer of options: `model`, `options` and `suffix` (None or
    empty where the style sets nothing)."""

    board: str
    model: str | None = None
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    suffix: str | None = None

    @classmethod
    def from_stored(cls, board: str, style: Mapping[str, Any]) -> StyleLayer:
        """The layer of a style as `check_style` made it and storage kept it."""
        options = {k: style[k] for k in STYLE_OPTIONS if style.get(k) is not None}
        return cls(board, style.get("model"), options, style.get("prompt_suffix"))

    def layer(self) -> Layer:
        """The style as a layer of the resolver (`bot.catalogue.resolve`)."""
        return Layer(self.model, self.options, self.suffix, self.board)

    def model_for(self, chosen: str | None) -> str | None:
        """The model: the member's choice, else the style's (None: neither set one)."""
        return chosen if chosen is not None else self.model

    def apply(self, options: Mapping[str, Any], prompt: str, model: Model,
              offered: Mapping[str, Model] = MODELS
              ) -> tuple[dict[str, Any], str, tuple[str, ...]]:
        """The member's `options` with every one they left unset taken from the style,
        `prompt` with the suffix appended, and a note for each style value `model` does
        not take (dropped): the resolver's rules with only these two layers."""
        resolved = resolve(prompt, command=Layer(model.id, options), board=self.layer(),
                           operator_model=model.id, offered=offered)
        return resolved.options, resolved.prompt, resolved.notes


def check_style(model: str | None, aspect_ratio: str | None, output_format: str | None,
                prompt_suffix: str | None, offered: Mapping[str, Model] = MODELS
                ) -> dict[str, Any]:
    """The style to store for these values, checked like the options of a command: with
    a model, against that model; without one, each value must suit at least one model.
    Raises UserError with what to change."""
    options = {k: v for k, v in (("aspect_ratio", aspect_ratio),
                                 ("output_format", output_format)) if v is not None}
    if aspect_ratio == "custom":
        raise UserError(tr("A style cannot use `aspect_ratio: custom` (it has no width and "
                           "height); pick a fixed ratio."))
    suffix = " ".join((prompt_suffix or "").split()) or None
    if suffix is not None and len(suffix) > SUFFIX_MAX:
        raise UserError(tr("`prompt_suffix` is at most {suffix_max} characters.",
                           suffix_max=SUFFIX_MAX))
    if model is not None:
        chosen = offered.get(model) or MODELS.get(model)
        if chosen is None:
            raise UserError(tr("There is no model `{model}`. See /models.",
                               model=model))
        check_options(chosen, options, offered)
    else:
        for name, value in options.items():
            if not any(_takes(m, name, value, offered) for m in offered.values()):
                raise UserError(tr("No model takes `{name}: {value}`. See /models.",
                                   name=name, value=value))
    return {"model": model, **options, "prompt_suffix": suffix}


def _takes(model: Model, name: str, value: Any, offered: Mapping[str, Model]) -> bool:
    try:
        check_options(model, {name: value}, offered)
    except OptionError:
        return False
    return True


def describe_style(style: Mapping[str, Any]) -> Text:
    """The style in one line, for the member: 'FLUX1.1 [pro] · 16:9 · PNG · “…”'."""
    parts: list[str] = []
    if style.get("model"):
        parts.append(model_label(str(style["model"])))
    if style.get("aspect_ratio"):
        parts.append(str(style["aspect_ratio"]))
    if style.get("output_format"):
        parts.append(str(style["output_format"]).upper())
    if style.get("prompt_suffix"):
        parts.append(tr("suffix “{suffix}”", suffix=typed(str(style["prompt_suffix"]))))
    return join(parts, " · ") if parts else tr("no style")
