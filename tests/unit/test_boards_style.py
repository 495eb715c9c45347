"""A board's style as a layer of options: what it fills, what it leaves to the member,
what a model cannot take, and how a style is checked before it is stored."""

from __future__ import annotations

import pytest

from bot.boards.style import StyleLayer, check_style, describe_style, with_suffix
from bot.catalogue import MODELS
from bot.errors import UserError
from bot.presets.checks import describe

STYLE = StyleLayer("Mood", "flux-2-pro", {"aspect_ratio": "16:9", "output_format": "png"},
                   "film grain")


def test_the_style_fills_only_what_the_member_left_unset() -> None:
    options, prompt, notes = STYLE.apply({"output_format": "jpg"}, "a pier",
                                         MODELS["flux-2-pro"])
    assert options == {"output_format": "jpg", "aspect_ratio": "16:9"}
    assert prompt == "a pier, film grain"
    assert notes == ()
    assert STYLE.model_for(None) == "flux-2-pro"
    assert STYLE.model_for("flux-dev") == "flux-dev"


def test_width_and_height_keep_the_style_ratio_out() -> None:
    options, _, _ = STYLE.apply({"aspect_ratio": "custom", "width": 512, "height": 512},
                                "a pier", MODELS["flux-pro"])
    assert options["aspect_ratio"] == "custom"
    options, _, _ = STYLE.apply({"width": 512}, "a pier", MODELS["flux-pro"])
    assert "aspect_ratio" not in options


def test_a_value_the_model_does_not_take_is_dropped_with_a_note() -> None:
    webp = StyleLayer("Mood", None, {"output_format": "webp"})
    options, prompt, notes = webp.apply({}, "a pier", MODELS["flux-2-pro"])
    assert options == {} and prompt == "a pier"
    assert notes == ("board style's output_format webp left out: FLUX.2 [pro] does not "
                     "take it",)
    assert webp.apply({}, "a pier", MODELS["flux-1.1-pro"])[0] == {"output_format": "webp"}


def test_a_suffix_joins_with_a_comma_unless_it_brings_its_own_punctuation() -> None:
    assert with_suffix("a cat ", "oil paint") == "a cat, oil paint"
    assert with_suffix("a cat", "; oil paint") == "a cat; oil paint"
    assert with_suffix("a cat", None) == "a cat"


def test_a_style_is_checked_like_any_option() -> None:
    assert check_style("flux-dev", "16:9", "png", "  film   grain ") == {
        "model": "flux-dev", "aspect_ratio": "16:9", "output_format": "png",
        "prompt_suffix": "film grain"}
    with pytest.raises(UserError, match="must be one of jpg, png"):
        check_style("flux-2-pro", None, "webp", None)
    with pytest.raises(UserError, match="custom"):
        check_style(None, "custom", None, None)
    with pytest.raises(UserError, match="at most 200"):
        check_style(None, None, None, "x" * 201)
    # Without a model, a value only some models take is kept (dropped per job).
    assert check_style(None, None, "webp", None)["output_format"] == "webp"
    stored = StyleLayer.from_stored("Mood", check_style("flux-dev", "1:1", None, "grain"))
    assert stored == StyleLayer("Mood", "flux-dev", {"aspect_ratio": "1:1"}, "grain")
    assert describe_style({"model": "flux-dev", "aspect_ratio": "1:1",
                           "prompt_suffix": "grain"}) == "FLUX.1 [dev] · 1:1 · suffix “grain”"
    assert describe_style({}) == "no style"


def test_a_suffix_is_described_as_typed_with_no_markup_or_mention() -> None:
    typed = "[free nitro](https://evil.example) <@&123> **x**"
    for shown in (str(describe_style({"prompt_suffix": typed})),
                  str(describe({"prompt_suffix": typed}))):
        assert "<@" not in shown and "@&" not in shown  # no role is named
        assert "\\[free nitro](https://evil.example)" in shown  # no masked link
        assert "\\*\\*x\\*\\*" in shown  # no bold
