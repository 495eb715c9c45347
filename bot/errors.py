"""Errors a user caused and can fix; each carries a short message fit for Discord."""

from __future__ import annotations


class UserError(Exception):
    """A refusal the user should read, privately, as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class JobFailed(UserError):
    """A job that was charged and then failed: its credits were given back."""
