"""The schemas of the tools under a result: Vary, Zoom Out, Pan and Vary Region.

Each tool is a model of its own (its own cost key and route), so the job flow treats it
like any other: checks, cap, credits, plan, provider. Zoom Out and Pan are BFL's expand
(outpainting), Vary Region is BFL's fill (inpainting); ranges from providers.md 4b, which
takes them from Comfy Router's schema mirror and ComfyUI's models (BFL's own page was
cut off before its field list). Vary is FLUX.1 [dev] image-to-image, the one model whose
`prompt_strength` says how far a new image may stray from its input.
"""

from __future__ import annotations

from dataclasses import replace

from bot.catalogue.schema import Kind, Param, ProviderSchema

# The most an expand may add on one side, and the longest side the tools make.
EXPAND_MAX = 2048
# `region`: the cells of a 3x3 grid to repaint, numbered 1-9 row by row ("1,5,9").
REGION_MAX = len("1,2,3,4,5,6,7,8,9")


def _common(prompt_max: int, seed_max: int) -> tuple[Param, ...]:
    """What expand and fill share: prompt, image (base64), steps 15-50 (default 50),
    guidance 1.5-100 (default 60), prompt_upsampling, seed, safety_tolerance 0-6
    (default 2; the product offers 1-6), output_format jpeg/png."""
    return (
        Param("prompt", Kind.TEXT, max=prompt_max),
        Param("image", Kind.IMAGE),
        Param("steps", Kind.INT, min=15, max=50, default=50),
        Param("guidance", Kind.FLOAT, min=1.5, max=100, default=60),
        Param("prompt_upsampling", Kind.BOOL, default=False),
        Param("seed", Kind.INT, min=0, max=seed_max),
        Param("safety_tolerance", Kind.INT, min=1, max=6, default=2),
        # BFL signs its images; PNG keeps the content credentials through Discord.
        Param("output_format", Kind.ENUM, choices=("jpg", "png"), default="png",
              wire_values=(("jpg", "jpeg"),)),
    )


def expand_schema(model: str, prompt_max: int, seed_max: int) -> ProviderSchema:
    """`POST /v1/flux-pro-1.0-expand`: pixels added on each side (0-2048 each)."""
    sides = (Param(side, Kind.INT, min=0, max=EXPAND_MAX, default=0)
             for side in ("top", "bottom", "left", "right"))
    params = (*_common(prompt_max, seed_max), *sides)
    return ProviderSchema(
        model=model, provider="bfl", provider_model="flux-pro-1.0-expand",
        params={p.name: p for p in params}, default_format="png",
        unset={"output_format": "png"}, tool=True,
    )


def fill_schema(model: str, prompt_max: int, seed_max: int) -> ProviderSchema:
    """`POST /v1/flux-pro-1.0-fill`: the image and a same-size mask, white where it
    repaints. The member names cells (`region`); the provider draws the mask from them
    at the input's own size (`bot.tools.mask`)."""
    params = (*_common(prompt_max, seed_max),
              Param("region", Kind.TEXT, wire="mask", max=REGION_MAX))
    return ProviderSchema(
        model=model, provider="bfl", provider_model="flux-pro-1.0-fill",
        params={p.name: p for p in params}, default_format="png",
        unset={"output_format": "png"}, tool=True,
    )


def vary_schema(flux_dev: ProviderSchema) -> ProviderSchema:
    """FLUX.1 [dev] as `flux_dev`'s provider documents it, the input image required."""
    return replace(flux_dev, model="vary", tool=True)
