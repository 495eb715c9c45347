"""The wording every member-facing message shares: amounts, model names, and text someone
typed shown as itself."""

from __future__ import annotations

import pytest

from bot import mentions, texts


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


@pytest.mark.parametrize(("typed", "shown"), [
    ("**bold** _it_ ~~gone~~ ||spoiler|| `code`",
     "\\*\\*bold\\*\\* \\_it\\_ \\~\\~gone\\~\\~ \\|\\|spoiler\\|\\| \\`code\\`"),
    ("# Title\n> quote\n- item\n 2. second", "\\# Title\n\\> quote\n\\- item\n 2\\. second"),
    # No masked link, whatever comes around it; a web address is left whole, and brackets
    # that make no link stay as they are.
    ("[a](b) **bold** [Free Nitro](https://evil.example) (c)",
     "\\[a](b) \\*\\*bold\\*\\* \\[Free Nitro](https://evil.example) (c)"),
    ("[site](<https://example.com>)", "\\[site](<\u200bhttps://example.com>)"),
    ("FLUX.1 [pro] (fast)", "FLUX.1 [pro] (fast)"),
    ("see https://example.com/a_b_c now", "see https://example.com/a_b_c now"),
    ("<x:/||spoiler||>", "<\u200bx:/\\|\\|spoiler\\|\\|>"),
    ("<@1> <@&2> <#3> </imagine:4> <t:5:R> <:e:6> @everyone @here",
     "<\u200b@\u200b1> <\u200b@\u200b&2> <\u200b#3> <\u200b/imagine:4> <\u200bt:5:R> "
     "<\u200b:e:6> @\u200beveryone @\u200bhere"),
    # A web address keeps its @, which a zero-width space would break; one after it not.
    ("https://mastodon.social/@fox/1 by @fox", "https://mastodon.social/@fox/1 by @\u200bfox"),
    ("a fox, 1.5x, 4k", "a fox, 1.5x, 4k"),  # plain text stays as it is
])
def test_typed_text_is_shown_as_itself(typed: str, shown: str) -> None:
    assert mentions.typed(typed) == shown


def test_text_for_a_code_span_cannot_close_it_early() -> None:
    # The sentence around it opens and closes the span: "matches `{term}` on ...".
    assert mentions.in_code("a`b`c") == "a'b'c"
    assert mentions.in_code("**not bold** <@1>") == "**not bold** <@1>"
    assert mentions.in_code("x" * 300, 200) == "x" * 200
    assert mentions.in_code(42) == "42"
