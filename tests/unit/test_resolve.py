"""The order in which an option's value is taken (SPEC section 2): command, preset,
board style, preferences, server default model, operator default; and what happens to a
value the chosen model does not take, by where it came from."""

from __future__ import annotations

import re

import pytest

from bot.catalogue import OptionError
from bot.catalogue.resolve import (
    BOARD,
    COMMAND,
    OPERATOR,
    PREFERENCES,
    PRESET,
    SERVER,
    Layer,
    resolve,
)

PREFS = Layer("flux-dev", {"aspect_ratio": "1:1", "output_format": "jpg"}, "grain")
BOARD_STYLE = Layer("flux-pro", {"aspect_ratio": "16:9"}, "mood", name="Mood")
PRESET_FAST = Layer(None, {"aspect_ratio": "9:16", "steps": 20, "seed": 7}, name="fast")


def test_each_value_comes_from_the_first_layer_that_sets_it() -> None:
    resolved = resolve("a pier", command=Layer(None, {"steps": 30}), preset=PRESET_FAST,
                       board=BOARD_STYLE, preferences=PREFS, server_model="flux-2-pro",
                       operator_model="flux-1.1-pro")
    assert resolved.model.id == "flux-pro"  # the board's: the first layer with a model
    assert resolved.options == {"steps": 30, "aspect_ratio": "9:16", "output_format": "jpg"}
    assert resolved.seed == 7
    assert resolved.prompt == "a pier, mood"  # the board's suffix comes before the member's
    assert resolved.sources == {"model": BOARD, "steps": COMMAND, "aspect_ratio": PRESET,
                                "seed": PRESET, "output_format": PREFERENCES,
                                "suffix": BOARD}
    assert resolved.applied(PREFERENCES) and resolved.notes == ()


def test_the_server_default_then_the_operator_default_choose_the_model() -> None:
    assert resolve("x", server_model="flux-dev", operator_model="flux-pro"
                   ).sources["model"] == SERVER
    only = resolve("x", operator_model="flux-pro")
    assert (only.model.id, only.sources["model"]) == ("flux-pro", OPERATOR)
    assert not only.applied(PREFERENCES) and only.prompt == "x"
    assert resolve("x", preferences=PREFS, server_model="flux-pro",
                   operator_model="flux-pro").model.id == "flux-dev"


def test_a_preference_or_board_value_the_model_does_not_take_is_left_out_with_a_note() -> None:
    resolved = resolve("x", command=Layer("flux-2-pro"), board=Layer(None, {"output_format":
                                                                          "webp"}),
                       preferences=Layer(None, {"go_fast": True}), operator_model="flux-dev")
    assert resolved.options == {}
    assert resolved.notes == (
        "board style's output_format webp left out: FLUX.2 [pro] does not take it",
        "your preference's go_fast True left out: FLUX.2 [pro] does not take it")


def test_a_preset_value_the_model_does_not_take_is_refused_naming_the_preset() -> None:
    with pytest.raises(OptionError, match=re.escape(
            "Your preset “turbo” sets `go_fast`: FLUX.2 [pro] (`flux-2-pro`) does not take "
            "`go_fast`. It works with FLUX.1 [dev] (`flux-dev`)")):
        resolve("x", command=Layer("flux-2-pro"),
                preset=Layer(None, {"go_fast": True}, name="turbo"), operator_model="flux-dev")


def test_a_size_above_keeps_a_ratio_below_out_and_the_other_way_round() -> None:
    sized = resolve("x", command=Layer(None, {"aspect_ratio": "custom", "width": 512}),
                    preferences=PREFS, operator_model="flux-pro")
    assert sized.options["aspect_ratio"] == "custom"
    ratio = resolve("x", command=Layer(None, {"aspect_ratio": "1:1"}),
                    preset=Layer(None, {"aspect_ratio": "custom", "width": 512,
                                        "height": 512}), operator_model="flux-pro")
    assert ratio.options == {"aspect_ratio": "1:1"}
    # A preset stores its size before the `custom` its width and height imply.
    custom = resolve("x", preset=Layer(None, {"width": 512, "height": 768,
                                              "aspect_ratio": "custom"}),
                     preferences=PREFS, operator_model="flux-pro")
    assert custom.options == {"width": 512, "height": 768, "aspect_ratio": "custom",
                              "output_format": "jpg"}


def test_a_suffix_already_at_the_end_is_not_added_again() -> None:
    # A Reroll or Edit runs the stored prompt, which has the suffix already.
    assert resolve("a pier, grain", preferences=PREFS, operator_model="flux-dev"
                   ).prompt == "a pier, grain"
