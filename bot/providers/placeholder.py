"""The placeholder provider: local, free, no network. It draws the prompt and the
parameters onto an image of the requested size and format, for trying the bot in a
server without provider keys and for demos. It serves only when the operator turns it on.
"""

from __future__ import annotations

import asyncio
import colorsys
import io
import textwrap
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont, ImageOps

from bot import images
from bot.catalogue import MODELS, RATIOS, Kind, Model, Param, ProviderSchema
from bot.catalogue.schema import merge_params
from bot.catalogue.shape import shapes
from bot.providers.base import (
    GeneratedImage,
    GenerationRequest,
    Provider,
    ProviderEntry,
    ProviderHealth,
    ProviderSettings,
)
from bot.providers.slots import ResultSlots
from bot.tools.mask import parse_cells, region_mask

if TYPE_CHECKING:
    import aiohttp

    from bot.providers.http import ProviderTiming

NAME = "placeholder"
_DEFAULT_SIDE = 1024


def placeholder_schema(model: Model) -> ProviderSchema:
    """A schema taking every option any provider of `model` takes (their union)."""
    first = model.schemas[0]
    params = {}
    for name in model.options():
        sources = [s.params[name] for s in model.schemas if s.takes(name)]
        # The defaults are those of the route's first provider, as a real request's are.
        own = first.params.get(name)
        merged = merge_params(sources)
        params[name] = replace(merged, default=own.default if own else merged.default)
    if "output_format" in params and not first.takes("output_format"):
        params["output_format"] = replace(params["output_format"],
                                          default=first.output_format({}))
    if "aspect_ratio" not in params and any(shapes(s) for s in model.schemas):
        # Its providers take the ratio as a size (bot/catalogue/shape.py); so does this one.
        params["aspect_ratio"] = Param("aspect_ratio", Kind.ENUM, choices=RATIOS)
    return ProviderSchema(
        model=model.id, provider=NAME, provider_model=NAME, params=params,
        default_format=first.output_format({}), references=model.references,
    )


PLACEHOLDER_SCHEMAS: dict[str, ProviderSchema] = {
    model_id: placeholder_schema(model) for model_id, model in MODELS.items()
}


def image_size(schema: ProviderSchema, options: Mapping[str, Any]) -> tuple[int, int]:
    """The size a real provider would make: width by height when custom, else the aspect
    ratio at about 1 MP (or at `megapixels`)."""
    ratio = str(options.get("aspect_ratio") or _default(schema, "aspect_ratio") or "1:1")
    megapixels = float(options.get("megapixels") or _default(schema, "megapixels") or 1)
    sized = "width" in options or "height" in options
    if sized or (ratio == "custom" and "width" in schema.params):
        width = int(options.get("width") or _default(schema, "width") or _DEFAULT_SIDE)
        height = int(options.get("height") or _default(schema, "height") or _DEFAULT_SIDE)
        return width, height
    if ratio in ("custom", "match_input_image"):  # the input's shape is not read here
        ratio = "1:1"
    return images.ratio_size(ratio, megapixels, 16)


def _default(schema: ProviderSchema, name: str) -> Any:
    param = schema.params.get(name)
    return param.default if param is not None else None


def render(
    prompt: str, lines: list[str], size: tuple[int, int], fmt: str, seed: int, quality: int
) -> bytes:
    """The placeholder picture (sync, CPU-bound: run it in a thread)."""
    hue = (seed % 360) / 360
    top = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.55, 0.85))
    bottom = tuple(int(c * 255) for c in colorsys.hsv_to_rgb((hue + 0.15) % 1, 0.7, 0.35))
    gradient = Image.linear_gradient("L").resize(size)
    image = ImageOps.colorize(gradient, top, bottom)
    draw = ImageDraw.Draw(image)
    font_size = max(12, size[0] // 36)
    font = ImageFont.load_default(size=font_size)
    margin = max(8, size[0] // 32)
    columns = max(16, int((size[0] - 2 * margin) / (font_size * 0.55)))
    text = ["PLACEHOLDER", *textwrap.wrap(prompt, columns)[:12], "", *lines]
    y = margin
    for line in text:
        if y + font_size > size[1] - margin:
            break
        draw.text((margin, y), line, font=font, fill="white", stroke_width=2, stroke_fill="black")
        y += int(font_size * 1.3)
    return images.encode(image, fmt, quality)


def remakes(params: Mapping[str, Any]) -> bool:
    """True when the request remakes its input image (image-to-image with a strength,
    an expand, a fill) rather than drawing a new one from it."""
    return any(name in params for name in ("prompt_strength", "top", "left", "region"))


def remade_size(source: bytes, params: Mapping[str, Any], asked: tuple[int, int]
                ) -> tuple[int, int]:
    """The size of a remake: image-to-image makes the size asked (`asked`), an expand the
    input's plus its margins, a fill the input's."""
    if "prompt_strength" in params:
        return asked
    with Image.open(io.BytesIO(source)) as image:
        width, height = image.size
    return (width + int(params.get("left", 0)) + int(params.get("right", 0)),
            height + int(params.get("top", 0)) + int(params.get("bottom", 0)))


def render_remake(source: bytes, prompt: str, lines: list[str], size: tuple[int, int],
                  fmt: str, seed: int, quality: int, params: Mapping[str, Any]) -> bytes:
    """A remake of `source`, as a real model would make it in kind: image-to-image blends
    the input with the placeholder by `prompt_strength` (1 keeps nothing of the input); an
    expand draws the placeholder around the input; a fill paints it into the mask's cells
    (`region`: the cells, "1,5,9")."""
    with Image.open(io.BytesIO(source)) as opened:
        image = opened.convert("RGB")
    with Image.open(io.BytesIO(render(prompt, lines, size, "png", seed, quality))) as png:
        drawn = png.convert("RGB")
    if "prompt_strength" in params:
        made = Image.blend(image.resize(size), drawn, float(params["prompt_strength"]))
    elif "region" in params:
        mask = region_mask(size[0], size[1], parse_cells(str(params["region"]))).convert("L")
        made = Image.composite(drawn, image, mask)
    else:
        made = drawn
        made.paste(image, (int(params.get("left", 0)), int(params.get("top", 0))))
    return images.encode(made, fmt, quality)


class PlaceholderProvider(Provider):
    """Draws instead of generating; never does network I/O."""

    name = NAME

    def __init__(
        self, enabled: bool = True, *, fallback: bool = False, slots: ResultSlots | None = None
    ) -> None:
        self.enabled = enabled
        self.slots = slots or ResultSlots()
        # PLACEHOLDER_PROVIDER: also serves every model none of whose providers is set up.
        self.fallback = fallback

    @property
    def configured(self) -> bool:
        return self.enabled

    def __repr__(self) -> str:
        return f"PlaceholderProvider(enabled={self.enabled})"

    async def health(self) -> ProviderHealth:
        """Always fine when on: it needs no key and no network."""
        return ProviderHealth(self.name, self.enabled, True if self.enabled else None, "local")

    def schema(self, model: str) -> ProviderSchema | None:
        """The union of the model's schemas: it takes whatever any real provider takes."""
        return PLACEHOLDER_SCHEMAS.get(model)

    async def generate(self, request: GenerationRequest) -> GeneratedImage:
        """Renders the placeholder in a worker thread, so the event loop keeps going."""
        attempt = self.attempt(request)
        schema = attempt.schema
        params = attempt.body(request.prompt, request.seed)
        size = image_size(schema, params)
        source = request.image.data if request.image is not None else None
        if source is not None and remakes(params):
            size = await asyncio.to_thread(remade_size, source, params, size)
        fmt = images.normalise_format(schema.output_format(params))
        lines = [f"model: {schema.model}", f"seed: {request.seed}", f"size: {size[0]}×{size[1]}"]
        lines += [f"{k}: {v}" for k, v in params.items() if k not in ("prompt", "seed")]
        if request.image is not None:
            lines.append(f"image: {request.image.filename}")
        quality = int(params.get("output_quality") or 90)
        slot = await self.slots.take()  # the rendered bytes are a result like any other
        try:
            if source is not None and remakes(params):
                data = await asyncio.to_thread(
                    render_remake, source, request.prompt, lines, size, fmt, request.seed,
                    quality, params)
            else:
                data = await asyncio.to_thread(
                    render, request.prompt, lines, size, fmt, request.seed, quality
                )
        except BaseException:
            slot.release()
            raise
        return GeneratedImage(
            data=data, format=fmt, width=size[0], height=size[1], seed=request.seed,
            provider=self.name, sent=params, notes=attempt.notes, slot=slot,
        )


def _make(
    settings: ProviderSettings, http: aiohttp.ClientSession, timing: ProviderTiming | None,
    slots: ResultSlots,
) -> Provider:
    """On when `PLACEHOLDER_PROVIDER` is set or an operator's route names it."""
    named = any(NAME in route for route in settings.routing.values())
    return PlaceholderProvider(
        enabled=settings.PLACEHOLDER_PROVIDER or named, fallback=settings.PLACEHOLDER_PROVIDER,
        slots=slots,
    )


ENTRY = ProviderEntry(name=NAME, label="placeholder", factory=_make, fallback_only=True)
