"""Where each option of a job comes from: the one place that orders the sources.

SPEC section 2, first to last: what the member set in this command, the preset, the
board's style, the member's preferences, the server's default model, the operator's
default. A layer only fills what the layers before it left unset. Every value passes the
chosen model's checks: one the member asked for (the command, their preset) is refused
when the model cannot take it; one they did not ask for this time (a board's style,
their preferences) is left out with a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.catalogue import MODELS, Model, OptionError, check_options
from bot.errors import UserError
from bot.i18n import tr
from bot.mentions import typed

COMMAND, PRESET, BOARD, PREFERENCES = "command", "preset", "board", "preferences"
SERVER, OPERATOR = "server", "operator"


@dataclass(frozen=True, slots=True)
class Layer:
    """One source of options: `model`, `options` (seed included) and a prompt `suffix`,
    each None or empty where the source sets nothing. `name` is the preset's or board's."""

    model: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    name: str | None = None


EMPTY = Layer()


@dataclass(frozen=True, slots=True)
class Resolved:
    """The options a job runs with and where each came from."""

    model: Model
    options: dict[str, Any]  # without the seed
    seed: int | None
    prompt: str  # with the suffix in force appended
    sources: dict[str, str]  # option (and "model", "suffix") -> COMMAND, PRESET, ...
    notes: tuple[str, ...]

    def applied(self, source: str) -> bool:
        """Whether any value, the model or the suffix came from `source`."""
        return source in self.sources.values()


def resolve(prompt: str, *, command: Layer = EMPTY, preset: Layer = EMPTY,
            board: Layer = EMPTY, preferences: Layer = EMPTY,
            server_model: str | None = None, operator_model: str,
            offered: Mapping[str, Model] = MODELS) -> Resolved:
    """The model, options, seed and prompt of a job from its layers, in SPEC's order.
    Raises UserError for an unknown model or a command or preset value the model does
    not take (the command's values are checked whole by `check_options` afterwards)."""
    layers = ((COMMAND, command), (PRESET, preset), (BOARD, board),
              (PREFERENCES, preferences))
    sources: dict[str, str] = {}
    model_id = server_model or operator_model
    model_source = SERVER if server_model else OPERATOR
    for source, layer in layers:
        if layer.model is not None:
            model_id, model_source = layer.model, source
            break
    model = offered.get(model_id) or MODELS.get(model_id)
    if model is None:
        raise UserError(tr("There is no model `{model_id}`. See /models.",
                           model_id=model_id))
    sources["model"] = model_source
    options: dict[str, Any] = {}
    notes: list[str] = []
    for source, layer in layers:
        for name, value in layer.options.items():
            if value is None or name in options or _shadowed(name, value, options):
                continue
            if source != COMMAND and name != "seed":
                try:
                    check_options(model, {name: value}, offered)
                except OptionError as exc:
                    if source == PRESET:
                        raise OptionError(name, tr("Your preset “{preset}” sets `{option}`: "
                                                   "{reason}", preset=typed(layer.name or ""),
                                                   option=name, reason=exc.message)) from None
                    notes.append(_left_out(source, name, value, model))
                    continue
            options[name] = value
            sources[name] = source
    suffix = None
    for source, layer in layers:
        if layer.suffix:
            suffix, sources["suffix"] = layer.suffix, source
            break
    seed = options.pop("seed", None)
    return Resolved(model, options, seed, with_suffix(prompt, suffix), sources,
                    tuple(notes))


def _shadowed(name: str, value: Any, options: Mapping[str, Any]) -> bool:
    """A fixed ratio set above excludes width and height from below, and a size set
    above excludes a fixed ratio from below: the shape is one choice."""
    if name == "aspect_ratio":
        return value != "custom" and ("width" in options or "height" in options)
    if name in ("width", "height"):
        return options.get("aspect_ratio") not in (None, "custom")
    return False


def _left_out(source: str, name: str, value: Any, model: Model) -> str:
    """The note for a board's or a preference's option the model does not take."""
    if source == BOARD:
        return tr("board style's {option} {value} left out: {model} does not take it",
                  option=name, value=value, model=model.label)
    return tr("your preference's {option} {value} left out: {model} does not take it",
              option=name, value=value, model=model.label)


def with_suffix(prompt: str, suffix: str | None) -> str:
    """`prompt` with `suffix` after it: joined with a comma unless the suffix starts with
    punctuation of its own. A prompt already ending with it (a Reroll or Edit of a job
    that had it) is left as it is."""
    if not suffix:
        return prompt
    prompt = prompt.rstrip()
    if prompt.endswith(suffix):
        return prompt
    if suffix[0] in ",.;:!?":
        return f"{prompt}{suffix}"
    return f"{prompt}, {suffix}"
