"""One plan per job: the options checked once against the catalogue, turned into the
exact wire parameters of every provider that may serve the job, in route order.

The router only walks a plan and the providers only add the prompt, the seed and the
input image to an attempt's parameters; nothing downstream checks or re-maps again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.catalogue.schema import OptionError, ProviderSchema
from bot.catalogue.shape import can_shape, shaped

# What a provider without a safety_tolerance option applies on its own: FLUX's default.
IMPLICIT_TOLERANCE = 2


@dataclass(frozen=True, slots=True)
class Attempt:
    """One provider's part of a plan."""

    provider: str
    schema: ProviderSchema
    # Wire names, values snapped, the safety level settled, the fixed values included;
    # the prompt and the seed are not in it (`body` adds them).
    params: Mapping[str, Any]
    # What was adjusted on the way (snapping), for the member.
    notes: tuple[str, ...]
    # The format the image comes back in: jpg, png or webp.
    output_format: str

    def body(self, prompt: str, seed: int) -> dict[str, Any]:
        """The parameters with the prompt and the seed under the provider's names."""
        wire = self.schema.params
        return {wire["prompt"].wire_name: prompt, **self.params, wire["seed"].wire_name: seed}

    @property
    def takes_image(self) -> bool:
        return self.schema.takes("image")


@dataclass(frozen=True, slots=True)
class Plan:
    """What a job may be sent as, provider by provider, in the order they are tried."""

    model: str
    attempts: tuple[Attempt, ...]

    def attempt(self, provider: str) -> Attempt | None:
        return next((a for a in self.attempts if a.provider == provider), None)

    @property
    def providers(self) -> list[str]:
        return [a.provider for a in self.attempts]


def provider_allowed(schema: ProviderSchema, cap: int) -> bool:
    """A provider with no tolerance option applies its own default; only use it when the
    cap allows that default."""
    return schema.takes("safety_tolerance") or cap >= IMPLICIT_TOLERANCE


def tolerance_for(schema: ProviderSchema, options: Mapping[str, Any], cap: int) -> dict[str, Any]:
    """The options to send `schema`'s provider, with the tolerance settled.

    A set value has already passed `check_requested`; an unset one becomes
    min(the provider's default, cap). flux-dev's `disable_safety_checker` is not an
    option at all: the catalogue pins it to false.
    """
    result = dict(options)
    if not schema.takes("safety_tolerance"):
        result.pop("safety_tolerance", None)
        return result
    requested = result.get("safety_tolerance")
    if requested is None:
        default = schema.params["safety_tolerance"].default
        result["safety_tolerance"] = min(int(default), cap)
    else:
        result["safety_tolerance"] = min(int(requested), cap)
    return result


def attempt_for(
    schema: ProviderSchema, options: Mapping[str, Any], cap: int, *, image: bool
) -> Attempt | None:
    """`schema`'s provider's attempt at a job with the member's `options` (catalogue
    names, without prompt, seed and image) under the safety `cap`, or None when that
    provider cannot take the job: an option it does not take or cannot hold, an input
    image it cannot use, or its own safety level above the cap (a provider without a
    safety_tolerance option applies FLUX's, and serves a request naming another level
    not at all)."""
    if image and not schema.takes("image"):
        return None
    if not provider_allowed(schema, cap):
        return None
    requested = options.get("safety_tolerance")
    if requested is not None and not schema.takes("safety_tolerance"):
        if int(requested) != IMPLICIT_TOLERANCE:
            return None
    settled = tolerance_for(schema, options, cap)
    size: dict[str, int] = {}
    ratio = settled.get("aspect_ratio")
    if ratio is not None and can_shape(schema, str(ratio)):
        # A provider that takes only a size makes the ratio as one.
        settled, size = shaped(schema, settled)
    if not schema.accepts(settled):
        return None
    try:
        params, notes = schema.build({**settled, **size})
    except OptionError:
        return None
    return Attempt(schema.provider, schema, params, tuple(notes), schema.output_format(settled))


def make_plan(
    model: str,
    schemas: Iterable[ProviderSchema],
    options: Mapping[str, Any],
    cap: int,
    *,
    image: bool,
) -> Plan:
    """The plan over `schemas` (the route's, in order); providers that cannot take the job
    are left out, so the plan may be empty."""
    attempts = [attempt_for(s, options, cap, image=image) for s in schemas]
    return Plan(model, tuple(a for a in attempts if a is not None))
