"""The bot's one `on_interaction` listener: the seam through which feature cogs answer
their modals' submits, and where an id of the bot's that fits nothing is refused.

A modal's submit is answered from its custom_id (the modal may have been opened before a
restart, so no view waits for it); each cog registers its answerer once when it loads.
discord.py makes a task per listener for every interaction, so one listener for all of
them costs an application command one task, not one per feature. A bot has its own
answerers (several bots may run in one process).
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord

from cogs.common.component import answer_forged

if TYPE_CHECKING:
    from bot.client import FluxBot

# Answers a modal submit that is its own and returns True; returns False for any other.
Answerer = Callable[["discord.Interaction[FluxBot]"], Awaitable[bool]]

_MODAL_SUBMIT = discord.InteractionType.modal_submit
_COMPONENT = discord.InteractionType.component


class ModalAnswers:
    """The answerers of a bot's modals, by name, and the listener that runs them."""

    def __init__(self) -> None:
        self._answerers: dict[str, Answerer] = {}

    def add(self, name: str, answerer: Answerer) -> None:
        """Answers the modal submits `answerer` knows (a cog's, when it loads)."""
        self._answerers[name] = answerer

    def remove(self, name: str) -> None:
        """Forgets answerer `name` (its cog unloads)."""
        self._answerers.pop(name, None)

    async def on_interaction(self, interaction: discord.Interaction[FluxBot]) -> None:
        kind = interaction.type
        if kind is _MODAL_SUBMIT:
            for answerer in tuple(self._answerers.values()):
                if await answerer(interaction):
                    return
        elif kind is not _COMPONENT:
            return  # commands and autocomplete are discord.py's to answer
        await answer_forged(interaction)


_ANSWERS: weakref.WeakKeyDictionary[FluxBot, ModalAnswers] = weakref.WeakKeyDictionary()


def modal_answers(bot: FluxBot) -> ModalAnswers:
    """The answerers of `bot`'s modals; the first call adds their listener to `bot`."""
    answers = _ANSWERS.get(bot)
    if answers is None:
        answers = _ANSWERS[bot] = ModalAnswers()
        bot.add_listener(answers.on_interaction, "on_interaction")
    return answers
