"""The catalogue against the seed pages, edge by edge.

The tables below are transcribed from shared/seeds independently of bot/catalogue/data.py,
so a wrong range or name there fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.catalogue import MODELS, OptionError, ProviderSchema, check_options, snap

RATIOS = ["1:1", "16:9", "9:16", "3:2", "2:3", "4:5", "5:4"]
SEED_MAX = 4294967295
PAIRS = [("flux-pro", "onemin"), ("flux-2-pro", "onemin"), ("flux-dev", "onemin"),
         ("flux-1.1-pro", "apiframe"), ("flux-1.1-pro", "segmind")]

# The options each page documents (catalogue names; `image` is the image prompt).
OPTIONS = {
    ("flux-pro", "onemin"): {"prompt", "image", "aspect_ratio", "width", "height", "steps",
                             "guidance", "prompt_upsampling", "seed", "output_format",
                             "output_quality", "safety_tolerance"},
    ("flux-2-pro", "onemin"): {"prompt", "aspect_ratio", "output_format", "output_quality",
                               "steps", "guidance", "safety_tolerance", "prompt_upsampling",
                               "seed"},
    ("flux-dev", "onemin"): {"prompt", "image", "aspect_ratio", "prompt_strength", "steps",
                             "guidance", "seed", "output_quality", "go_fast", "megapixels"},
    ("flux-1.1-pro", "apiframe"): {"prompt", "image", "aspect_ratio", "output_format",
                                   "output_quality", "seed", "width", "height",
                                   "prompt_upsampling"},
    ("flux-1.1-pro", "segmind"): {"seed", "width", "height", "prompt", "aspect_ratio",
                                  "output_format", "output_quality", "safety_tolerance",
                                  "prompt_upsampling"},
}
# Documented ranges: (low, high, step for "one past").
RANGES: dict[tuple[str, str], dict[str, tuple[float, float, float]]] = {
    ("flux-pro", "onemin"): {"width": (256, 1440, 1), "height": (256, 1440, 1),
                             "steps": (1, 50, 1), "guidance": (0, 50, 0.01),
                             "seed": (0, SEED_MAX, 1), "output_quality": (0, 100, 1),
                             "safety_tolerance": (1, 5, 1)},
    ("flux-2-pro", "onemin"): {"output_quality": (0, 100, 1), "steps": (15, 50, 1),
                               "guidance": (2, 5, 0.01), "safety_tolerance": (1, 6, 1)},
    ("flux-dev", "onemin"): {"prompt_strength": (0, 1, 0.01), "steps": (1, 50, 1),
                             "guidance": (0, 50, 0.01), "seed": (0, SEED_MAX, 1),
                             "output_quality": (0, 100, 1)},
    ("flux-1.1-pro", "apiframe"): {"output_quality": (0, 100, 1), "width": (256, 1440, 1),
                                   "height": (256, 1440, 1)},
    ("flux-1.1-pro", "segmind"): {"width": (256, 1440, 1), "height": (256, 1440, 1),
                                  "output_quality": (0, 100, 1),
                                  "safety_tolerance": (1, 5, 1)},
}
# Documented choices. apiframe gives no aspect-ratio list and Segmind's page lists no
# values at all; for Segmind the upstream model's output formats are used (providers.md).
ENUMS: dict[tuple[str, str], dict[str, list[str]]] = {
    ("flux-pro", "onemin"): {"aspect_ratio": [*RATIOS, "custom"],
                             "output_format": ["webp", "jpg", "png"]},
    ("flux-2-pro", "onemin"): {"aspect_ratio": RATIOS, "output_format": ["jpg", "png"]},
    ("flux-dev", "onemin"): {"aspect_ratio": [*RATIOS, "custom"],
                             "megapixels": ["0.25", "1", "2"]},
    ("flux-1.1-pro", "apiframe"): {"output_format": ["jpg", "png", "webp"]},
    ("flux-1.1-pro", "segmind"): {"output_format": ["webp", "jpg", "png"]},
}
UNKNOWN = {"aspect_ratio": "21:9", "output_format": "gif", "megapixels": "4"}


def schema(model: str, provider: str) -> ProviderSchema:
    found = MODELS[model].schema(provider)
    assert found is not None
    return found


@pytest.mark.parametrize("pair", PAIRS)
def test_each_schema_takes_exactly_the_documented_options(pair: tuple[str, str]) -> None:
    s = schema(*pair)
    assert {name for name in s.params if s.takes(name)} == OPTIONS[pair]


RANGE_CASES = [(pair, name, *edges) for pair in PAIRS for name, edges in RANGES[pair].items()]


@pytest.mark.parametrize(("pair", "name", "low", "high", "step"), RANGE_CASES)
def test_range_edges_are_accepted_and_one_past_is_refused(
    pair: tuple[str, str], name: str, low: float, high: float, step: float
) -> None:
    s = schema(*pair)
    for edge in (low, high):
        assert s.accepts({name: edge}), (pair, name, edge)
        assert s.params[name].check(edge)[0] == edge
    for past in (low - step, high + step):
        assert not s.accepts({name: past}), (pair, name, past)
        with pytest.raises(OptionError, match=name):
            s.params[name].check(past)


ENUM_CASES = [(pair, name, values) for pair in PAIRS for name, values in ENUMS[pair].items()]


@pytest.mark.parametrize(("pair", "name", "values"), ENUM_CASES)
def test_every_enum_value_is_accepted_and_an_unknown_one_refused(
    pair: tuple[str, str], name: str, values: list[str]
) -> None:
    s = schema(*pair)
    for value in values:
        assert s.accepts({name: value}), (pair, name, value)
    assert not s.accepts({name: UNKNOWN[name]})


def test_flux_2_pro_has_no_custom_ratio_and_no_size() -> None:
    s = schema("flux-2-pro", "onemin")
    assert not s.accepts({"aspect_ratio": "custom"})
    assert not s.accepts({"width": 1024}) and not s.accepts({"height": 1024})


ONEMIN_PRO, SEGMIND = ("flux-pro", "onemin"), ("flux-1.1-pro", "segmind")


@pytest.mark.parametrize(
    ("pair", "value", "snapped", "multiple"),
    [
        (ONEMIN_PRO, 1000, 992, 32), (ONEMIN_PRO, 1010, 1024, 32),
        (ONEMIN_PRO, 1439, 1440, 32), (ONEMIN_PRO, 257, 256, 32),
        (SEGMIND, 1000, 1008, 16), (SEGMIND, 1432, 1440, 16),
        (SEGMIND, 1001, 1008, 16), (SEGMIND, 263, 256, 16),
    ],
)
def test_sizes_snap_to_the_provider_multiple_and_say_so(
    pair: tuple[str, str], value: int, snapped: int, multiple: int
) -> None:
    body, notes = schema(*pair).build({"width": value, "height": 1024, "aspect_ratio": "custom"})
    assert body["width"] == snapped
    assert notes == [f"width {value} → {snapped} (a multiple of {multiple})"]


def test_a_size_on_the_multiple_is_sent_unchanged() -> None:
    body, notes = schema("flux-1.1-pro", "segmind").build({"width": 1008, "height": 1440})
    assert (body["width"], body["height"], notes) == (1008, 1440, [])
    assert body["aspect_ratio"] == "custom"  # a size implies a custom ratio


@given(st.integers(256, 1440), st.sampled_from([16, 32]))
def test_snapping_stays_in_range_on_the_multiple(value: int, multiple: int) -> None:
    snapped = snap(value, multiple, 256, 1440)
    assert snapped % multiple == 0 and 256 <= snapped <= 1440
    assert abs(snapped - value) <= multiple


def test_flux_dev_wire_names_and_fixed_safety_checker() -> None:
    s = schema("flux-dev", "onemin")
    body, _ = s.build({"steps": 30, "megapixels": "2", "prompt": "p"})
    assert body == {"num_inference_steps": 30, "megapixels": "2", "prompt": "p",
                    "disable_safety_checker": False}
    assert isinstance(body["megapixels"], str)
    assert s.build({})[0] == {"disable_safety_checker": False}
    assert not s.accepts({"disable_safety_checker": True})


@pytest.mark.parametrize(
    ("model", "options", "words"),
    [
        ("flux-2-pro", {"width": 512}, ["FLUX.2 [pro] (`flux-2-pro`) does not take `width`",
                                         "flux-1.1-pro", "flux-pro"]),
        ("flux-pro", {"go_fast": True}, ["`go_fast`", "flux-dev"]),
        ("flux-pro", {"megapixels": "2"}, ["`megapixels`", "flux-dev"]),
        ("flux-1.1-pro", {"go_fast": True}, ["`go_fast`", "flux-dev"]),
    ],
)
def test_check_options_names_the_models_that_take_an_option(
    model: str, options: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(OptionError) as caught:
        check_options(MODELS[model], options)
    for word in words:
        assert word in caught.value.message
    assert model not in caught.value.message.split("It works with")[-1]


@pytest.mark.parametrize(
    ("model", "options", "range_text"),
    [
        ("flux-2-pro", {"steps": 10}, "15-50"),
        ("flux-2-pro", {"guidance": 5.5}, "2-5"),
        ("flux-pro", {"guidance": 51}, "0-50"),
        ("flux-dev", {"prompt_strength": 1.2}, "0-1"),
        ("flux-1.1-pro", {"aspect_ratio": "custom", "width": 1500}, "256-1440"),
        ("flux-pro", {"steps": 60}, "1-50"),
        ("flux-pro", {"output_format": "gif"}, "webp, jpg, png"),
    ],
)
def test_check_options_gives_the_valid_range(
    model: str, options: dict[str, Any], range_text: str
) -> None:
    with pytest.raises(OptionError) as caught:
        check_options(MODELS[model], options)
    assert range_text in caught.value.message


def test_check_options_accepts_what_one_provider_of_the_model_takes() -> None:
    check_options(MODELS["flux-1.1-pro"], {"safety_tolerance": 5, "aspect_ratio": "4:3"})
    check_options(MODELS["flux-1.1-pro"], {"aspect_ratio": "custom", "width": 1440,
                                           "height": 256})
    with pytest.raises(OptionError, match="custom"):
        check_options(MODELS["flux-1.1-pro"], {"aspect_ratio": "16:9", "width": 512})


def test_the_plan_names_each_providers_exact_wire_parameters() -> None:
    from bot.catalogue.plan import make_plan

    model = MODELS["flux-dev"]
    plan = make_plan("flux-dev", model.schemas, {"steps": 30, "guidance": 4}, 2, image=False)
    onemin, bfl = plan.attempts
    # One option, two providers' names for it; each only once, in the plan.
    assert onemin.params["num_inference_steps"] == 30 and "steps" not in onemin.params
    assert onemin.params["disable_safety_checker"] is False
    # Unset, BFL is asked for PNG, whose content credentials survive Discord (not JPEG).
    assert bfl.params == {"steps": 30, "guidance": 4.0, "safety_tolerance": 2,
                          "output_format": "png"}
    assert bfl.output_format == "png"
    assert onemin.body("a cat", 7) == {"prompt": "a cat", "seed": 7, **onemin.params}


def test_the_plan_snaps_per_provider_and_leaves_out_who_cannot_serve() -> None:
    from bot.catalogue.plan import make_plan

    model = MODELS["flux-1.1-pro"]
    options = {"aspect_ratio": "custom", "width": 1000, "height": 600}
    plan = make_plan("flux-1.1-pro", model.schemas, options, 2, image=False)
    sizes = {a.provider: (a.params["width"], a.params["height"]) for a in plan.attempts}
    # BFL takes no ratio: `custom` is the member's size on its multiples.
    assert sizes == {"apiframe": (992, 608), "segmind": (1008, 608), "bfl": (992, 608)}
    assert all(a.notes for a in plan.attempts)
    assert plan.attempt("segmind").params["safety_tolerance"] == 2  # type: ignore[union-attr]
    # Above FLUX's own level apiframe cannot serve; an input image rules Segmind out.
    assert make_plan("flux-1.1-pro", model.schemas, {"safety_tolerance": 5}, 6,
                     image=False).providers == ["segmind", "bfl"]
    assert make_plan("flux-1.1-pro", model.schemas, {}, 2, image=True).providers == [
        "apiframe", "bfl"]
    bfl = make_plan("flux-1.1-pro", model.schemas, {"output_format": "jpg"}, 2,
                    image=False).attempt("bfl")
    assert bfl is not None and bfl.params["output_format"] == "jpeg"
    assert bfl.output_format == "jpg"
