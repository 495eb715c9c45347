"""The (model, provider) schemas, transcribed from the provider pages in the seeds.

Where a page is silent the choice is written beside it, with its source.
"""

from __future__ import annotations

from bot.catalogue.schema import Kind, Model, Param, ProviderSchema
from bot.catalogue.tools import expand_schema, fill_schema, vary_schema

SEED_MAX = 4294967295
# The longest prompt the bot takes: Discord's own limit on a text option is 6000, the
# providers' pages that give one say 2000.
PROMPT_MAX = 2000
RATIOS = ("1:1", "16:9", "9:16", "3:2", "2:3", "4:5", "5:4")


def _params(*params: Param) -> dict[str, Param]:
    return {p.name: p for p in params}


def _prompt(max_len: int = PROMPT_MAX) -> Param:
    return Param("prompt", Kind.TEXT, max=max_len)


def _seed(default: int | None = None) -> Param:
    return Param("seed", Kind.INT, min=0, max=SEED_MAX, default=default)


def _side(multiple: int, default: int = 1024) -> tuple[Param, Param]:
    return (
        Param("width", Kind.INT, min=256, max=1440, multiple=multiple, default=default),
        Param("height", Kind.INT, min=256, max=1440, multiple=multiple, default=default),
    )


def _quality(default: int | None = 80) -> Param:
    return Param("output_quality", Kind.INT, min=0, max=100, default=default)


def _formats(*formats: str, default: str | None) -> Param:
    return Param("output_format", Kind.ENUM, choices=formats, default=default)


def _ratio(choices: tuple[str, ...], default: str | None) -> Param:
    return Param("aspect_ratio", Kind.ENUM, choices=choices, default=default)


def _safety(high: int, default: int = 2) -> Param:
    return Param("safety_tolerance", Kind.INT, min=1, max=high, default=default)


def _upsampling(default: bool) -> Param:
    return Param("prompt_upsampling", Kind.BOOL, default=default)


ONEMIN_FLUX_PRO = ProviderSchema(
    model="flux-pro",
    provider="onemin",
    provider_model="black-forest-labs/flux-pro",
    params=_params(
        _prompt(),
        Param("image", Kind.IMAGE, wire="image_prompt"),
        _ratio((*RATIOS, "custom"), default="custom"),
        *_side(multiple=32),
        Param("steps", Kind.INT, min=1, max=50, default=25),
        Param("guidance", Kind.FLOAT, min=0, max=50, default=3.5),
        # Documented only as "Processing interval parameter": kept for completeness, not offered.
        Param("interval", Kind.FLOAT, exposed=False),
        _upsampling(False),
        _seed(),
        _formats("webp", "jpg", "png", default="webp"),
        _quality(),
        _safety(5),
    ),
)

ONEMIN_FLUX_2_PRO = ProviderSchema(
    model="flux-2-pro",
    provider="onemin",
    provider_model="black-forest-labs/flux-2-pro",
    params=_params(
        _prompt(),
        _ratio(RATIOS, default="1:1"),
        _formats("jpg", "png", default="png"),
        _quality(),
        Param("steps", Kind.INT, min=15, max=50, default=25),
        Param("guidance", Kind.FLOAT, min=2, max=5, default=3),
        _safety(6),
        _upsampling(False),
        # The page gives no range; the other 1min.ai FLUX pages say 0-4294967295.
        _seed(),
    ),
    default_format="png",
)

# flux-2-pro's IMAGE_EDITOR mode (providers.md section 1a): the same model on the same
# endpoint, changing the uploaded image at `imageUrl` as the prompt says.
ONEMIN_FLUX_2_PRO_EDIT = ProviderSchema(
    model="flux-2-pro-edit",
    provider="onemin",
    provider_model="black-forest-labs/flux-2-pro",
    params=_params(
        _prompt(),
        Param("image", Kind.IMAGE, wire="imageUrl"),
        _ratio(("match_input_image", *RATIOS), default="match_input_image"),
        _formats("jpg", "png", default="png"),
        _quality(),
        Param("steps", Kind.INT, min=15, max=50, default=25),
        Param("guidance", Kind.FLOAT, min=2, max=5, default=3),
        _safety(6),
        _upsampling(False),
        _seed(),
    ),
    default_format="png",
    edits=True,
)

ONEMIN_FLUX_DEV = ProviderSchema(
    model="flux-dev",
    provider="onemin",
    provider_model="black-forest-labs/flux-dev",
    params=_params(
        _prompt(),
        Param("image", Kind.IMAGE, wire="image_prompt"),
        # The page lists `custom` but no width/height; kept as documented.
        _ratio((*RATIOS, "custom"), default="1:1"),
        Param("prompt_strength", Kind.FLOAT, min=0, max=1, default=0.8),
        Param("steps", Kind.INT, wire="num_inference_steps", min=1, max=50, default=28),
        Param("guidance", Kind.FLOAT, min=0, max=50, default=3.5),
        _seed(),
        _quality(),
        Param("go_fast", Kind.BOOL, default=False),
        Param("megapixels", Kind.ENUM, choices=("0.25", "1", "2"), default="1",
              wire_as_string=True),
    ),
    # SPEC section 4: never lets a user switch the checker off.
    fixed={"disable_safety_checker": False},
    # No output_format on the page; its example result is a .webp.
    default_format="webp",
)

APIFRAME_FLUX_11_PRO = ProviderSchema(
    model="flux-1.1-pro",
    provider="apiframe",
    provider_model="flux-1.1-pro",
    params=_params(
        _prompt(),
        Param("image", Kind.IMAGE, wire="image_prompt"),
        # The page gives "W:H" with no list; the product's list plus custom.
        _ratio((*RATIOS, "custom"), default="1:1"),
        _formats("jpg", "png", "webp", default="webp"),
        _quality(default=80),
        _seed(),
        # No multiple on the page; FLUX1.1 [pro] itself wants multiples of 32.
        *_side(multiple=32),
        _upsampling(False),
    ),
)

SEGMIND_FLUX_11_PRO = ProviderSchema(
    model="flux-1.1-pro",
    provider="segmind",
    provider_model="flux-1.1-pro",
    params=_params(
        _seed(default=1),
        *_side(multiple=16),
        _prompt(),
        # Segmind's page lists no values; these are the upstream model's.
        _ratio((*RATIOS, "custom", "3:4", "4:3"), default="1:1"),
        _formats("webp", "jpg", "png", default="webp"),
        _quality(),
        _safety(5),
        _upsampling(True),
    ),
)

# Black Forest Labs' own API. Ranges from BFL's OpenAPI document
# (https://api.bfl.ai/openapi.json, as rendered on docs.bfl.ai's API reference pages) and
# providers.md section 4. Its output_format is "jpeg" or "png"; width and height are
# multiples of 32 in 256-1440 (default 1024x768); safety_tolerance is 0-6 (default 2), of
# which the product offers 1-6. It has no aspect_ratio: a request that sets one gets the
# nearest size of that ratio (bot/catalogue/shape.py). The prompt has no documented
# limit: the product's.
_BFL_FORMAT = Param("output_format", Kind.ENUM, choices=("jpg", "png"), default="png",
                    wire_values=(("jpg", "jpeg"),))
# BFL signs every image with C2PA content credentials; unless the member chose a format,
# ask for PNG (BFL's own default is JPEG), whose credentials survive Discord's handling.
_BFL_UNSET = {"output_format": "png"}


def _bfl_sides() -> tuple[Param, Param]:
    # FluxPro11Inputs/FluxProInputs/FluxDevInputs: width 256-1440 x32 default 1024,
    # height 256-1440 x32 default 768.
    return (
        Param("width", Kind.INT, min=256, max=1440, multiple=32, default=1024),
        Param("height", Kind.INT, min=256, max=1440, multiple=32, default=768),
    )


# FluxPro11Inputs: prompt, image_prompt (base64), width, height, prompt_upsampling, seed,
# safety_tolerance, output_format.
BFL_FLUX_11_PRO = ProviderSchema(
    model="flux-1.1-pro",
    provider="bfl",
    provider_model="flux-pro-1.1",
    params=_params(
        _prompt(),
        Param("image", Kind.IMAGE, wire="image_prompt"),
        *_bfl_sides(),
        _upsampling(False),
        _seed(),
        _safety(6),
        _BFL_FORMAT,
    ),
    default_format="png",
    unset=_BFL_UNSET,
)

# FluxProInputs: as FluxPro11Inputs plus steps 1-50 (default 40), guidance 1.5-5 (default
# 2.5) and interval 1-4 (default 2; undocumented purpose, not offered).
BFL_FLUX_PRO = ProviderSchema(
    model="flux-pro",
    provider="bfl",
    provider_model="flux-pro",
    params=_params(
        _prompt(),
        Param("image", Kind.IMAGE, wire="image_prompt"),
        *_bfl_sides(),
        Param("steps", Kind.INT, min=1, max=50, default=40),
        Param("guidance", Kind.FLOAT, min=1.5, max=5, default=2.5),
        Param("interval", Kind.FLOAT, min=1, max=4, default=2, exposed=False),
        _upsampling(False),
        _seed(),
        _safety(6),
        _BFL_FORMAT,
    ),
    default_format="png",
    unset=_BFL_UNSET,
)

# FluxDevInputs: as FluxPro11Inputs plus steps 1-50 (default 28) and guidance 1.5-5
# (default 3). BFL's flux-dev calls steps `steps` (1min.ai's: num_inference_steps).
BFL_FLUX_DEV = ProviderSchema(
    model="flux-dev",
    provider="bfl",
    provider_model="flux-dev",
    params=_params(
        _prompt(),
        Param("image", Kind.IMAGE, wire="image_prompt"),
        *_bfl_sides(),
        Param("steps", Kind.INT, min=1, max=50, default=28),
        Param("guidance", Kind.FLOAT, min=1.5, max=5, default=3),
        _upsampling(False),
        _seed(),
        _safety(6),
        _BFL_FORMAT,
    ),
    default_format="png",
    unset=_BFL_UNSET,
)


# FLUX.2 [pro] on BFL (providers.md section 4b, OpenAPI `Flux2Inputs`): no aspect_ratio,
# width/height multiples of 16 from 64 up to 4 MP (2048 x 2048; left out, an edit follows
# its first reference's size), safety_tolerance 0-5 (default 2), output_format jpeg/png.
# width and height are not offered: flux-2-pro has no `custom` shape, and a member's
# aspect ratio becomes the nearest size of that ratio (bot/catalogue/shape.py).
def _bfl_flux_2(model: str, references: int) -> ProviderSchema:
    return ProviderSchema(
        model=model,
        provider="bfl",
        provider_model="flux-2-pro",
        params=_params(
            _prompt(),
            Param("width", Kind.INT, min=64, max=2048, multiple=16, exposed=False),
            Param("height", Kind.INT, min=64, max=2048, multiple=16, exposed=False),
            _seed(),
            # The product's 1 (strictest) to 6 is BFL's 0 to 5; BFL's default 2 is 3 here.
            Param("safety_tolerance", Kind.INT, min=1, max=6, default=3, wire_offset=-1),
            _BFL_FORMAT,
            _upsampling(False),
        ),
        default_format="png",
        unset=_BFL_UNSET,
        references=references,
    )


BFL_FLUX_2_PRO = _bfl_flux_2("flux-2-pro", references=0)
# /blend: the same endpoint with up to 8 reference images (`input_image` ... `input_image_8`;
# BFL's editing overview gives 8 through the API).
BFL_FLUX_2_PRO_BLEND = _bfl_flux_2("blend", references=8)

MODELS: dict[str, Model] = {
    m.id: m
    for m in (
        Model("flux-1.1-pro", "FLUX1.1 [pro]",
              (APIFRAME_FLUX_11_PRO, SEGMIND_FLUX_11_PRO, BFL_FLUX_11_PRO)),
        Model("flux-pro", "FLUX.1 [pro]", (ONEMIN_FLUX_PRO, BFL_FLUX_PRO)),
        Model("flux-2-pro", "FLUX.2 [pro]", (ONEMIN_FLUX_2_PRO, BFL_FLUX_2_PRO)),
        Model("flux-dev", "FLUX.1 [dev]", (ONEMIN_FLUX_DEV, BFL_FLUX_DEV)),
        Model("flux-2-pro-edit", "FLUX.2 [pro] edit", (ONEMIN_FLUX_2_PRO_EDIT,)),
        Model("blend", "FLUX.2 [pro] blend", (BFL_FLUX_2_PRO_BLEND,)),
        # The tools under a result (bot/catalogue/tools.py); after the editor, which
        # /edit finds as the first model that edits.
        Model("vary", "Vary (FLUX.1 [dev])", (vary_schema(ONEMIN_FLUX_DEV),)),
        Model("zoom-out", "Zoom Out (FLUX.1 Expand [pro])",
              (expand_schema("zoom-out", PROMPT_MAX, SEED_MAX),)),
        Model("pan", "Pan (FLUX.1 Expand [pro])", (expand_schema("pan", PROMPT_MAX, SEED_MAX),)),
        Model("vary-region", "Vary Region (FLUX.1 Fill [pro])",
              (fill_schema("vary-region", PROMPT_MAX, SEED_MAX),)),
    )
}
