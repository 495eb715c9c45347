"""Errors a user caused and can fix; each carries a short message fit for Discord."""

from __future__ import annotations

from bot.i18n import render


class UserError(Exception):
    """A refusal the user should read, privately, as it is.

    `message` is a `bot.i18n.Text` (English until it is rendered in the member's language
    where it is answered), or a plain string for a text not in the catalogue.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def render(self, locale: object) -> str:
        """The refusal in the language of a Discord locale."""
        return render(self.message, locale)


class JobFailed(UserError):
    """A job that was charged and then failed: its credits were given back."""
