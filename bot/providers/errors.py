"""The provider error tree, shaped like the official AI SDKs' (one base, one class per cause).

Each error carries the provider, the HTTP status and a truncated body for the logs; the
`user_message` is what a Discord user may read. Neither ever contains an API key.
"""

from __future__ import annotations

from bot.i18n import Text, tr

BODY_LIMIT = 300


class ProviderError(Exception):
    """Base of every failure the provider layer reports."""

    #: May the same request go to the next provider of the route (or be retried)?
    retryable = False
    user_message: Text = tr("The image provider failed.")

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.body = (body or "")[:BODY_LIMIT]

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{self.provider}: {self.args[0]}{status}"


class ProviderNotConfigured(ProviderError):
    user_message: Text = tr("This model's provider is not set up on this bot.")


class AuthenticationError(ProviderError):
    user_message: Text = tr(
        "The image provider refused the bot's credentials; the bot's operator has to fix its key."
    )


class InsufficientProviderCredit(ProviderError):
    user_message: Text = tr(
        "The bot's account with the image provider is out of credit. Try again later.")


class RateLimitError(ProviderError):
    retryable = True
    user_message: Text = tr("The image provider is busy. Try again in a minute.")

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class InvalidRequestError(ProviderError):
    user_message: Text = tr("The image provider did not accept these options.")


class ModerationError(ProviderError):
    user_message: Text = tr("The image provider refused this prompt under its content policy.")


class ServerError(ProviderError):
    retryable = True
    user_message: Text = tr("The image provider is unavailable right now. Try again later.")


class ProviderTimeout(ProviderError):
    retryable = True
    user_message: Text = tr("The image provider took too long to answer.")


class ProviderConnectionError(ProviderError):
    retryable = True
    user_message: Text = tr("The image provider could not be reached.")


class MalformedResponseError(ProviderError):
    retryable = True
    user_message: Text = tr("The image provider sent back something that is not a usable image.")


class NoProviderAvailable(ProviderError):
    user_message: Text = tr("No provider can make this image right now.")


class ResultUnavailable(MalformedResponseError):
    """The provider made (and likely charged for) an image that could not be fetched: an
    expired or refused result URL, a file over the size ceiling, bytes that do not decode.
    Not retried: a new attempt would be a second paid generation."""

    retryable = False
    user_message: Text = tr("The image was made but could not be fetched from the provider.")
