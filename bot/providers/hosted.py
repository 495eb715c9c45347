"""What the hosted providers share: the client, the key (unwrapped only into a header),
the base URL, the timing knobs, and how a request becomes the provider's parameters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx
from pydantic import SecretStr

from bot.catalogue import OptionError, ProviderSchema
from bot.providers.base import GenerationRequest, Provider
from bot.providers.errors import InvalidRequestError, ProviderError, ProviderNotConfigured
from bot.providers.http import ProviderTiming, Reply, error_from_reply
from bot.safety import tolerance_for


class HostedProvider(Provider):
    """Base of the 1min.ai, apiframe and Segmind providers."""

    name = "hosted"

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_key: SecretStr | None,
        base_url: str,
        *,
        timing: ProviderTiming | None = None,
    ) -> None:
        self._http = http
        self._key = api_key
        self.base_url = base_url.rstrip("/")
        self.timing = timing or ProviderTiming()

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


def request_params(
    schema: ProviderSchema, request: GenerationRequest, *, provider: str
) -> tuple[dict[str, Any], list[str]]:
    """The provider's parameters for `request` (prompt and seed included, image left out):
    the safety tolerance settled by `tolerance_for`, then `schema.build`. A request the
    schema cannot take raises InvalidRequestError before any network I/O."""
    options = {k: v for k, v in request.options.items() if k not in ("image", "prompt", "seed")}
    options["prompt"] = request.prompt
    options["seed"] = request.seed
    options = tolerance_for(schema, options, request.safety_cap)
    refused = [name for name in options if not schema.takes(name)]
    if refused:
        raise InvalidRequestError(
            f"{schema.model} on {provider} does not take {', '.join(refused)}", provider=provider
        )
    if request.image is not None and not schema.takes("image"):
        raise InvalidRequestError(f"{schema.model} on {provider} takes no image", provider=provider)
    try:
        return schema.build(options)
    except OptionError as exc:
        raise InvalidRequestError(exc.message, provider=provider) from None
