"""What a provider is given and what it gives back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.catalogue import MODELS, ProviderSchema

if TYPE_CHECKING:
    import httpx

    from bot.providers.http import ProviderTiming
    from bot.providers.slots import ResultSlots, Slot
    from bot.settings import Settings


@dataclass(frozen=True, slots=True)
class InputImage:
    """An image prompt from the user (a Discord attachment, already downloaded)."""

    data: bytes
    filename: str
    content_type: str
    # The Discord CDN URL, for providers that take an image by URL (apiframe).
    url: str


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """A validated request for one image.

    `options` are the user's options under their catalogue names, with the seed and the
    safety tolerance already decided; the prompt and the image are apart because every
    provider places them differently.
    """

    job_id: str
    model: str
    prompt: str
    seed: int
    options: Mapping[str, Any] = field(default_factory=dict)
    image: InputImage | None = None
    safety_cap: int = 2


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    data: bytes
    format: str  # "png", "jpeg" or "webp": what the bytes are, not what was asked
    width: int
    height: int
    seed: int
    provider: str
    # The provider-side parameters as sent, and what was adjusted on the way (snapping).
    sent: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # The MAX_IMAGES_IN_FLIGHT slot these bytes hold: released once they are uploaded.
    slot: Slot | None = field(default=None, compare=False, repr=False)

    def release(self) -> None:
        """Gives the slot back: the bytes are no longer needed (uploaded, or given up)."""
        if self.slot is not None:
            self.slot.release()


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    provider: str
    configured: bool
    # None: not checked (no cheap authenticated call exists); True/False: the key works or not.
    key_ok: bool | None = None
    detail: str = ""
    # False when the check could not reach the provider at all.
    reachable: bool = True


class Provider(ABC):
    """One hosted API (or the local placeholder)."""

    name: str
    #: Serves a model only when none of its route's providers is configured.
    fallback: bool = False

    @property
    @abstractmethod
    def configured(self) -> bool:
        """True when the operator gave what this provider needs (its key)."""

    @abstractmethod
    async def generate(self, schema: ProviderSchema, request: GenerationRequest) -> GeneratedImage:
        """Makes one image; raises a ProviderError subclass on failure."""

    async def health(self) -> ProviderHealth:
        """Whether the provider is configured and, where cheap, whether its key works."""
        return ProviderHealth(self.name, self.configured)

    def schema(self, model: str) -> ProviderSchema | None:
        """This provider's schema of `model` (the catalogue's), or None if it has none."""
        found = MODELS.get(model)
        return found.schema(self.name) if found is not None else None


#: Makes a provider's client from the settings, the shared HTTP client and the timing.
Factory = Callable[
    ["Settings", "httpx.AsyncClient", "ProviderTiming | None", "ResultSlots"], Provider
]


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    """What a provider module declares about itself, for the registry."""

    name: str
    label: str
    factory: Factory
    # The settings (environment variable names) it reads; none for a local provider.
    key_setting: str | None = None
    url_setting: str | None = None
    # Served only when no configured provider of a model's route can (the placeholder).
    fallback_only: bool = False
