"""What the hosted providers share: the client, the key (unwrapped only into a header),
the base URL, the timing knobs, and how a request becomes the provider's parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import aiohttp
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from bot.providers.base import (
    Factory,
    Provider,
    ProviderEntry,
    ProviderHealth,
    ProviderSettings,
)
from bot.providers.errors import (
    MalformedResponseError,
    ProviderError,
    ProviderNotConfigured,
)
from bot.providers.http import ProviderTiming, Reply, error_from_reply
from bot.providers.slots import ResultSlots
from bot.redact import scrub


class Lenient(BaseModel):
    """The documented part of a provider's answer; fields the docs do not list are ignored."""

    model_config = ConfigDict(extra="ignore")


class _Balance(Lenient):
    credits: float | None = None


AnswerT = TypeVar("AnswerT", bound=BaseModel)


class HostedProvider(Provider):
    """Base of the 1min.ai, apiframe and Segmind providers."""

    name = "hosted"

    def __init__(
        self,
        http: aiohttp.ClientSession,
        api_key: SecretStr | None,
        base_url: str,
        *,
        timing: ProviderTiming | None = None,
        slots: ResultSlots | None = None,
    ) -> None:
        self._http = http
        self._key = api_key
        self.base_url = base_url.rstrip("/")
        self.timing = timing or ProviderTiming()
        self.slots = slots or ResultSlots()

    @property
    def configured(self) -> bool:
        return self._key is not None and bool(self._key.get_secret_value())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, configured={self.configured})"

    def _secret(self) -> str:
        """The key, for a header only; raises ProviderNotConfigured without one."""
        if not self.configured:
            raise ProviderNotConfigured("no API key is configured", provider=self.name)
        assert self._key is not None
        return self._key.get_secret_value()

    def _secrets(self) -> list[str]:
        return [self._key.get_secret_value()] if self.configured and self._key else []

    def _error(self, reply: Reply, credit_statuses: Iterable[int] = (402,)) -> ProviderError:
        return error_from_reply(
            reply, provider=self.name, secrets=self._secrets(), credit_statuses=credit_statuses
        )

    def _parse(self, reply: Reply, shape: type[AnswerT], what: str) -> AnswerT:
        """`reply` read as `shape`; anything else (HTML, a truncated or absurdly nested
        body, missing fields) is a MalformedResponseError."""
        try:
            return shape.model_validate(reply.json())
        except (ValueError, ValidationError):
            raise self._malformed(f"{what} is not the documented JSON", reply) from None

    def _malformed(self, message: str, reply: Reply) -> MalformedResponseError:
        return MalformedResponseError(
            message, provider=self.name, status=reply.status, body=self._body(reply)
        )

    def _body(self, reply: Reply) -> str:
        """The answer's text for the logs, with the key scrubbed."""
        return scrub(reply.head(), self._secrets())

    async def _check_key(self, call: Callable[[], Awaitable[Reply]]) -> Reply | ProviderHealth:
        """For `health`: runs a cheap authenticated call and returns its successful reply,
        or the health its failure shows (not configured, unreachable, key refused, HTTP)."""
        if not self.configured:
            return ProviderHealth(self.name, False)
        try:
            reply = await call()
        except ProviderError as exc:
            return ProviderHealth(self.name, True, None, f"unreachable ({type(exc).__name__})",
                                  reachable=False)
        if reply.status in (401, 403):
            return ProviderHealth(self.name, True, False, str(self._error(reply)))
        if reply.status >= 300:
            return ProviderHealth(self.name, True, None, f"HTTP {reply.status}")
        return reply

    @staticmethod
    def _balance(reply: Reply) -> float | None:
        """The `credits` of an account answer, or None when it has no readable one."""
        try:
            return _Balance.model_validate(reply.json()).credits
        except (ValueError, ValidationError):
            return None


def hosted_entry(cls: type[HostedProvider], *, label: str, key_setting: str,
                 url_setting: str, url_default: str, resumable_for: float = 0.0
                 ) -> ProviderEntry:
    """The registry entry of a hosted provider: its settings (the key, and the base URL
    with its default) and a factory that reads them."""
    return ProviderEntry(
        name=cls.name, label=label, factory=_hosted_factory(cls, key_setting, url_setting),
        key_setting=key_setting, url_setting=url_setting, url_default=url_default,
        resumable_for=resumable_for,
    )


def _hosted_factory(cls: type[HostedProvider], key_setting: str, url_setting: str) -> Factory:
    """A factory that reads the provider's key and base URL from the named settings."""

    def make(
        settings: ProviderSettings, http: aiohttp.ClientSession, timing: ProviderTiming | None,
        slots: ResultSlots,
    ) -> Provider:
        return cls(
            http, settings.api_key(key_setting), settings.base_url(url_setting), timing=timing,
            slots=slots,
        )

    return make
