"""Whatever a member (or a modified client) types into a modal field or a free-text option,
or sends as a custom_id, the parsing says what to fix or accepts it: never an internal
error (hypothesis, arbitrary Unicode). The end-to-end submission is in
tests/e2e/test_e2e_deleted_result.py (an image number in another script)."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.boards.names import check_new_name, thread_name
from bot.boards.style import check_style
from bot.errors import UserError
from bot.moderation import parse_entry
from bot.presets.checks import check_preferences, check_preset
from cogs.boards.board_add import AddToBoardButton, BoardPick, ImagePick
from cogs.common.component import ascii_number, image_number
from cogs.common.job.cancel import CancelButton
from cogs.common.job.refusal import AppealButton
from cogs.common.job.result import DeleteButton, EditButton, RerollButton, edited_prompt
from cogs.common.pages import PageButton
from cogs.continuity.cog import TryAgainButton
from cogs.edit.edit_image import EditImageButton, edit_image_fields
from cogs.history.cog import HistoryPage, HistoryReroll
from cogs.moderation.review import ApproveButton, RejectButton

EXAMPLES = settings(max_examples=300, deadline=None)
# Digits of other scripts, superscripts and fullwidth forms: what str.isdigit() accepts
# and int() may not, or reads as a number nobody typed.
DIGITS = "0123456789²³¹٠١٢٣۴५෧๓０１２３⁰₁①⑴𝟙"
numberish = st.text(alphabet=st.sampled_from(DIGITS + " +-_.\u200b\n"), max_size=25)
any_text = st.one_of(st.text(max_size=300), numberish)
ITEMS: list[Any] = [
    RerollButton, EditButton, DeleteButton, EditImageButton, AddToBoardButton, ImagePick,
    BoardPick, CancelButton, TryAgainButton, AppealButton, ApproveButton, RejectButton,
    PageButton, HistoryPage, HistoryReroll,
]
PREFIXES = ["fluxcord:reroll:", "fluxcord:board-pick:", "fluxcord:page:settings:",
            "fluxcord:page:history:", "fluxcord:history:next:", "fluxcord:appeal-approve:",
            "fluxcord:again:", "fluxcord:cancel:", "fluxcord:board-image:"]
HEX = "0123456789abcdef"


def _fields(**values: str) -> list[dict[str, Any]]:
    """A modal submit's components, as Discord sends them."""
    return [{"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()]


def _accepts_or_explains(parse: Any, *args: Any) -> Any:
    try:
        return parse(*args)
    except UserError as exc:
        assert exc.message.strip()
        return None


@EXAMPLES
@given(any_text, st.integers(0, 5), st.integers(0, 10**25))
def test_a_number_is_ascii_digits_in_range_or_nothing(text: str, low: int, high: int
                                                      ) -> None:
    number = ascii_number(text, low, high)
    if number is not None:
        assert low <= number <= high
        assert text.strip().isascii() and text.strip().isdigit()


@EXAMPLES
@given(any_text, st.integers(0, 4))
def test_which_image_is_a_number_in_range_or_a_request_to_pick(which: str, images: int
                                                               ) -> None:
    try:
        number = image_number(which, images, "Edit image")
    except UserError as exc:
        assert exc.message in (f"Pick an image from 1 to {images}. Press Edit image again.",
                               "This result has no image left.")
        return
    assert 1 <= number <= images
    assert not which.strip() or which.strip() == str(number)


@EXAMPLES
@given(any_text, any_text, any_text, st.integers(0, 4))
def test_every_modal_field_parses_or_explains(prompt: str, change: str, which: str,
                                              images: int) -> None:
    _accepts_or_explains(edited_prompt, _fields(prompt=prompt))
    _accepts_or_explains(edited_prompt, [])
    _accepts_or_explains(edit_image_fields, _fields(change=change, which=which), images)
    _accepts_or_explains(edit_image_fields, _fields(change=change), images)


@EXAMPLES
@given(any_text, any_text, any_text, any_text)
def test_every_free_text_option_parses_or_explains(name: str, suffix: str, model: str,
                                                   choice: str) -> None:
    # Board names (/board create, style, sheet, remove), their threads' names.
    cleaned = _accepts_or_explains(check_new_name, name, ["mood"])
    if cleaned is not None:
        assert thread_name(cleaned)
    # /board style and /preferences set: prompt_suffix, and the choices a client may forge.
    _accepts_or_explains(check_style, None, None, None, suffix)
    _accepts_or_explains(check_style, model, choice, choice, suffix)
    _accepts_or_explains(check_preferences, {"prompt_suffix": suffix})
    _accepts_or_explains(check_preferences, {"model": model, "aspect_ratio": choice})
    # /preset save and delete: the name.
    _accepts_or_explains(check_preset, name, None, {"seed": 1})
    # /moderation blocklist add: the entry.
    _accepts_or_explains(parse_entry, name)


@EXAMPLES
@given(st.sampled_from(PREFIXES), st.one_of(
    st.text(max_size=60), st.text(alphabet=st.sampled_from(HEX + DIGITS + ":-"), max_size=40)))
def test_a_forged_custom_id_is_parsed_strictly_or_ignored(prefix: str, rest: str) -> None:
    custom_id = prefix + rest

    async def rebuild() -> None:
        for item in ITEMS:
            match = item.__discord_ui_compiled_template__.fullmatch(custom_id)
            if match is not None:
                built = await item.from_custom_id(None, None, match)
                assert isinstance(built, discord.ui.DynamicItem)

    asyncio.run(rebuild())
