"""The shapes of the model catalogue: a parameter, a (model, provider) schema, a model.

One `ProviderSchema` is the whole truth about one provider's page for one model: which
options it takes, under which wire names, with which ranges, enums, multiples and
defaults. Discord option validation, provider eligibility and the provider request
body all come from here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.errors import UserError
from bot.i18n import tr


class Kind(StrEnum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    ENUM = "enum"
    TEXT = "text"
    IMAGE = "image"


class OptionError(UserError):
    """A user's option the model cannot take; `message` is fit to show the user."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


@dataclass(frozen=True, slots=True)
class Param:
    """One documented parameter of one provider's model page."""

    name: str
    kind: Kind
    wire: str | None = None
    min: float | None = None
    max: float | None = None
    multiple: int | None = None
    choices: tuple[str, ...] = ()
    default: Any = None
    # Offered to Discord users; undocumented-purpose knobs (1min.ai `interval`) are not.
    exposed: bool = True
    # Some providers document a number but want it as a string (flux-dev `megapixels`).
    wire_as_string: bool = False
    # Choice values the provider spells its own way (BFL's "jpeg" for the product's "jpg").
    wire_values: tuple[tuple[str, str], ...] = ()
    # Added to a number on the wire: a provider whose scale starts elsewhere (BFL's
    # FLUX.2 safety_tolerance 0-5 for the product's 1-6).
    wire_offset: int = 0

    @property
    def wire_name(self) -> str:
        return self.wire or self.name

    def describe_range(self) -> str:
        """The valid values in words, for an error message."""
        if self.choices:
            return ", ".join(self.choices)
        if self.min is not None and self.max is not None:
            text = f"{_fmt(self.min)}-{_fmt(self.max)}"
            if self.multiple:
                return tr("{range}, a multiple of {multiple}", range=text,
                          multiple=self.multiple)
            return text
        return tr("any value")

    def check(self, value: Any) -> tuple[Any, str | None]:
        """Returns the value to send and a note when it was adjusted; raises OptionError."""
        if self.kind is Kind.ENUM:
            if str(value) not in self.choices:
                raise OptionError(
                    self.name, tr("`{option}` must be one of {values}.", option=self.name,
                                  values=self.describe_range())
                )
            return str(value), None
        if self.kind is Kind.BOOL:
            return bool(value), None
        if self.kind is Kind.TEXT:
            if self.max is not None and len(str(value)) > self.max:
                raise OptionError(
                    self.name, tr("`{option}` can be at most {most} characters long.",
                                  option=self.name, most=_fmt(self.max))
                )
            return value, None
        if self.kind is Kind.IMAGE:
            return value, None
        number = float(value)
        if math.isnan(number) or (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise OptionError(
                self.name, tr("`{option}` must be {values} (got {got}).", option=self.name,
                              values=self.describe_range(), got=_fmt(number))
            )
        if self.kind is Kind.INT:
            number = int(number)
        note = None
        if self.multiple:
            snapped = snap(int(number), self.multiple, self.min, self.max)
            if snapped != number:
                note = tr("{option} {asked} → {snapped} (a multiple of {multiple})",
                          option=self.name, asked=int(number), snapped=snapped,
                          multiple=self.multiple)
            number = snapped
        return number, note


def snap(value: int, multiple: int, low: float | None, high: float | None) -> int:
    """The nearest multiple of `multiple` to `value` (halves round up), kept inside the range."""
    snapped = math.floor(value / multiple + 0.5) * multiple
    if low is not None and snapped < low:
        snapped += multiple
    if high is not None and snapped > high:
        snapped -= multiple
    return snapped


@dataclass(frozen=True, slots=True)
class ProviderSchema:
    """One model as one provider documents it."""

    model: str
    provider: str
    provider_model: str
    params: Mapping[str, Param]
    # Sent on every request whatever the user asks (flux-dev: disable_safety_checker false).
    fixed: Mapping[str, Any] = field(default_factory=dict)
    # The image format the provider returns when the model has no output_format option.
    default_format: str = "webp"
    # Sent in place of the provider's own default when the member left the option unset.
    unset: Mapping[str, Any] = field(default_factory=dict)
    # The model changes the input image as the prompt says (1min.ai's IMAGE_EDITOR) rather
    # than drawing a new one: the image is required, and /imagine does not offer it.
    edits: bool = False
    # How many reference images the model takes (BFL's FLUX.2 `input_image` ...
    # `input_image_8`, for /blend); /imagine does not offer a model that takes them.
    references: int = 0
    # One of the tools under a result (Vary, Zoom Out, Pan, Vary Region): made from a
    # posted image, never offered as a model of its own.
    tool: bool = False

    def takes(self, option: str) -> bool:
        param = self.params.get(option)
        return param is not None and param.exposed

    def accepts(self, options: Mapping[str, Any]) -> bool:
        """True when this provider takes every option set, each within its range."""
        for name, value in options.items():
            if not self.takes(name):
                return False
            try:
                self.params[name].check(value)
            except (OptionError, TypeError, ValueError):
                return False
        return True

    def build(self, options: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The provider's parameter object for these options, and notes on what was adjusted.

        `options` are already chosen for this provider (see `accepts`); the seed and the
        safety tolerance are in them. Unset options are left out so the provider's
        documented default applies.
        """
        body: dict[str, Any] = {}
        notes: list[str] = []
        for name, value in options.items():
            param = self.params[name]
            sent, note = param.check(value)
            if note:
                notes.append(note)
            if param.wire_values:
                sent = dict(param.wire_values).get(sent, sent)
            if param.wire_offset:
                sent += param.wire_offset
            body[param.wire_name] = str(sent) if param.wire_as_string else sent
        # The pages use width/height "only when aspect_ratio is custom"; a size without a
        # ratio would otherwise be ignored in favour of the default ratio.
        ratio = self.params.get("aspect_ratio")
        sized = "width" in options or "height" in options
        if sized and "aspect_ratio" not in options and ratio and "custom" in ratio.choices:
            body[ratio.wire_name] = "custom"
        for name, value in self.unset.items():
            if name not in options:
                body[self.params[name].wire_name] = value
        body.update(self.fixed)
        return body, notes

    def output_format(self, options: Mapping[str, Any]) -> str:
        """The format the image will come back in: jpg, png or webp."""
        param = self.params.get("output_format")
        if param is None:
            return self.default_format
        return str(options.get("output_format", param.default))


@dataclass(frozen=True, slots=True)
class Model:
    """A model as users see it: one id, one label, a default route of provider schemas."""

    id: str
    label: str
    schemas: tuple[ProviderSchema, ...]

    @property
    def named(self) -> str:
        """The label with the value to type in `/imagine model:`: `FLUX.2 [pro] (`flux-2-pro`)`."""
        return f"{self.label} (`{self.id}`)"

    def schema(self, provider: str) -> ProviderSchema | None:
        return next((s for s in self.schemas if s.provider == provider), None)

    def served_by(self, schemas: Iterable[ProviderSchema]) -> Model:
        """This model as the given providers' schemas make it (those the bot can use)."""
        return Model(self.id, self.label, tuple(schemas))

    def takes(self, option: str) -> bool:
        return any(s.takes(option) for s in self.schemas)

    @property
    def edits(self) -> bool:
        """True for an image editor (/edit) or a tool, which changes an input image."""
        return any(s.edits or s.tool for s in self.schemas)

    @property
    def tool(self) -> bool:
        """True for a tool under a result (Vary, Zoom Out, Pan, Vary Region)."""
        return any(s.tool for s in self.schemas)

    @property
    def references(self) -> int:
        """The most reference images a provider of this model takes (/blend); 0 for none."""
        return max((s.references for s in self.schemas), default=0)

    @property
    def imagine(self) -> bool:
        """True for a model /imagine offers: neither an editor nor a blend of references."""
        return not self.edits and not self.references

    def options(self) -> list[str]:
        """The options any provider of this model takes, in declaration order."""
        seen: dict[str, None] = {}
        for schema in self.schemas:
            for name, param in schema.params.items():
                if param.exposed:
                    seen.setdefault(name, None)
        return list(seen)

    def param(self, option: str) -> Param | None:
        """The widest form of an option across this model's providers (for messages)."""
        params = [s.params[option] for s in self.schemas if s.takes(option)]
        if not params:
            return None
        return merge_params(params)


def merge_params(params: Iterable[Param]) -> Param:
    """One Param covering the union of several providers' ranges and choices."""
    items = list(params)
    first = items[0]
    mins = [p.min for p in items if p.min is not None]
    maxs = [p.max for p in items if p.max is not None]
    choices: dict[str, None] = {}
    for p in items:
        choices.update(dict.fromkeys(p.choices))
    multiples = {p.multiple for p in items}
    return Param(
        name=first.name,
        kind=first.kind,
        min=min(mins) if len(mins) == len(items) else None,
        max=max(maxs) if len(maxs) == len(items) else None,
        multiple=multiples.pop() if len(multiples) == 1 else None,
        choices=tuple(choices),
        default=first.default,
    )
