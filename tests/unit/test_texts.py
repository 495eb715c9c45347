"""The wording every member-facing message shares: amounts and model names."""

from __future__ import annotations

from bot import texts


def test_credit_amounts_are_singular_plural_and_grouped() -> None:
    assert texts.credits(1) == "1 credit"
    assert texts.credits(0) == "0 credits"
    assert texts.credits(2) == "2 credits"
    assert texts.credits(-1) == "-1 credit"
    assert texts.credits(12_500) == "12,500 credits"
    assert texts.credits_back(1) == "1 credit is back"
    assert texts.credits_back(3) == "3 credits are back"


def test_models_are_named_by_their_label() -> None:
    assert texts.model_label("flux-1.1-pro") == "FLUX1.1 [pro]"
    assert texts.model_label("flux-dev") == "FLUX.1 [dev]"
    assert texts.model_label("flux-9") == "flux-9"
    assert texts.model_with_value("flux-2-pro") == "FLUX.2 [pro] (`flux-2-pro`)"


def test_prices_by_size_read_as_a_list() -> None:
    assert texts.cost(4) == "4 credits"
    assert texts.cost({"0.25": 1, "1": 3}) == "1 credit at 0.25 MP, 3 credits at 1 MP"
    assert texts.listing(["a", "b", "c"]) == "a, b and c"
    assert texts.listing(["a"]) == "a"
