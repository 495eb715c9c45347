"""The result's buttons are laid out once per language: every result after the first gets
the same components with its own job id, exactly as building its buttons would give."""

from __future__ import annotations

import json
from typing import Any

import discord

from bot.tools import TOOLS
from cogs.boards.board_add import AddToBoardButton
from cogs.common.job.result import DELETE, EDIT, REROLL, DeleteButton, EditButton, RerollButton
from cogs.common.job.rows import ResultRows, result_rows
from cogs.edit.edit_image import EditImageButton
from cogs.tools.buttons import ToolButton

JOB = "0123456789abcdef0123456789abcdef"


def _tool(which: Any) -> Any:
    return lambda job_id, lang: ToolButton(job_id, which, lang)


def _bots_rows() -> ResultRows:
    """The rows the bot's cogs put under every result."""
    rows = result_rows(discord.Client(intents=discord.Intents.none()))
    rows.add("reroll", RerollButton, position=REROLL)
    rows.add("edit", EditButton, position=EDIT)
    rows.add("delete", DeleteButton, position=DELETE)
    rows.add("edit-image", EditImageButton, position=25)
    rows.add("board-add", AddToBoardButton, position=40)
    for position, which in enumerate(TOOLS):
        rows.add(f"tool-{which.key}", _tool(which), row=which.row, position=position)
    return rows


def _built(job_id: str, lang: str) -> list[dict[str, Any]]:
    """The components of the result's buttons made one by one for the job."""
    view = discord.ui.View(timeout=None)
    for item, row in ((RerollButton(job_id, lang), 0), (EditButton(job_id, lang), 0),
                      (EditImageButton(job_id, lang), 0), (DeleteButton(job_id, lang), 0),
                      (AddToBoardButton(job_id, lang), 0),
                      *((ToolButton(job_id, which, lang), which.row) for which in TOOLS)):
        item.row = row
        view.add_item(item)
    return view.to_components()


async def test_every_result_gets_the_components_its_buttons_would_give() -> None:
    rows = _bots_rows()
    for lang in ("en", "de", "en"):
        for job_id in (JOB, "f" * 32):
            # The same bytes on the wire: keys in the same order too.
            assert (json.dumps(rows.view(job_id, lang).to_components())
                    == json.dumps(_built(job_id, lang)))


async def test_the_buttons_are_made_once_per_language_not_per_result() -> None:
    rows = ResultRows()
    made: list[tuple[str, str]] = []

    def make(job_id: str, lang: str) -> discord.ui.Item[Any]:
        made.append((job_id, lang))
        return discord.ui.Button(label=lang, custom_id=f"fluxcord:reroll:{job_id}")

    rows.add("reroll", make, position=0)
    for job_id in ("a" * 32, "b" * 32, "c" * 32):
        assert rows.view(job_id, "en").to_components()[0]["components"][0] == {
            "type": 2, "style": 2, "disabled": False, "label": "en",
            "custom_id": f"fluxcord:reroll:{job_id}"}
    rows.view("d" * 32, "fr")
    assert len(made) == 2
    rows.add("delete", make, position=1)  # a cog loaded: laid out again
    assert len(rows.view("e" * 32, "en").to_components()[0]["components"]) == 2
    assert len(made) == 4


async def test_the_posted_results_answer_is_read_for_its_id_and_channel_only() -> None:
    # Discord's answer to the post carries the whole message (embed, attachments, every
    # button); only where it went is read of it.
    from cogs.common.job.delivery import _ResultWebhook

    client = discord.Client(intents=discord.Intents.none())
    hook = _ResultWebhook.from_state(data={"id": 1, "type": 3, "token": "t"},
                                     state=client._connection)
    hook.client = client
    answer = {"id": "222", "channel_id": "333", "guild_id": "444", "embeds": [{}],
              "components": [{"type": 1, "components": []}], "author": {}}
    message = hook._create_message(answer, thread=discord.utils.MISSING)
    assert isinstance(message, discord.PartialMessage)
    assert (message.id, message.channel.id) == (222, 333)
    assert isinstance(message.channel, discord.PartialMessageable)
    assert message.channel.guild_id == 444
