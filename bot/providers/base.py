"""What a provider is given and what it gives back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.catalogue import MODELS, ProviderSchema
from bot.catalogue.plan import Attempt, Plan
from bot.providers.errors import InvalidRequestError

if TYPE_CHECKING:
    import aiohttp
    from pydantic import SecretStr

    from bot.providers.http import ProviderTiming
    from bot.providers.slots import ResultSlots, Slot


@dataclass(frozen=True, slots=True)
class InputImage:
    """An image prompt from the user (a Discord attachment, already downloaded)."""

    data: bytes
    filename: str
    content_type: str
    # The Discord CDN URL, for providers that take an image by URL (apiframe).
    url: str


@dataclass(frozen=True, slots=True)
class Submission:
    """A job an asynchronous provider (apiframe, BFL) accepted: its id there and, where the
    provider hands one out, the exact URL to poll it at."""

    provider: str
    job_id: str
    poll_url: str | None = None


#: Told about a submission right after the provider accepted it, before any poll, so
#: the job can be resumed after a restart instead of being submitted (and paid) again.
OnSubmitted = Callable[[Submission], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """One image to make: the job's plan (each provider's exact parameters, in route
    order) and what every provider places its own way: the prompt, the seed, the image.

    `resume`: a submission made before a restart; its provider polls it instead of
    submitting again."""

    job_id: str
    prompt: str
    seed: int
    plan: Plan
    image: InputImage | None = None
    on_submitted: OnSubmitted | None = None
    resume: Submission | None = None
    # Reference images, in order (/blend: BFL's `input_image` ... `input_image_8`).
    references: tuple[InputImage, ...] = ()

    async def submitted(self, submission: Submission) -> None:
        """Tells `on_submitted`, when set, about the provider's new job."""
        if self.on_submitted is not None:
            await self.on_submitted(submission)


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
    #: Takes an input image only as a URL (which Discord lets expire), never as bytes.
    image_by_url: bool = False

    @property
    @abstractmethod
    def configured(self) -> bool:
        """True when the operator gave what this provider needs (its key)."""

    @abstractmethod
    async def generate(self, request: GenerationRequest) -> GeneratedImage:
        """Makes one image as this provider's attempt in the request's plan says; raises a
        ProviderError subclass on failure."""

    def attempt(self, request: GenerationRequest) -> Attempt:
        """This provider's line of the request's plan."""
        found = request.plan.attempt(self.name)
        if found is None:
            raise InvalidRequestError(
                f"the plan for {request.plan.model} has no attempt for {self.name}",
                provider=self.name,
            )
        if request.image is not None and not found.takes_image:
            raise InvalidRequestError(f"{self.name} takes no image here", provider=self.name)
        if len(request.references) > found.schema.references:
            raise InvalidRequestError(
                f"{self.name} takes at most {found.schema.references} reference images here",
                provider=self.name)
        return found

    async def health(self) -> ProviderHealth:
        """Whether the provider is configured and, where cheap, whether its key works."""
        return ProviderHealth(self.name, self.configured)

    def schema(self, model: str) -> ProviderSchema | None:
        """This provider's schema of `model` (the catalogue's), or None if it has none."""
        found = MODELS.get(model)
        return found.schema(self.name) if found is not None else None


class ProviderSettings(Protocol):
    """What the provider layer reads of the operator's settings, its factories and the
    router's builder (`bot.settings.Settings`, which itself gains each provider's settings
    from the registry, so it is not named here)."""

    routing: dict[str, list[str]]
    PLACEHOLDER_PROVIDER: bool
    # What the router is built with (`bot.providers.build_router`).
    MAX_IMAGES_IN_FLIGHT: int
    PROVIDER_CONCURRENCY: int
    PROVIDER_DEADLINE_SECONDS: float
    concurrency: dict[str, int]

    def api_key(self, setting: str) -> SecretStr | None: ...

    def base_url(self, setting: str) -> str: ...


#: Makes a provider's client from the settings, the shared HTTP client and the timing.
Factory = Callable[
    [ProviderSettings, "aiohttp.ClientSession", "ProviderTiming | None", "ResultSlots"], Provider
]


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    """What a provider module declares about itself, for the registry."""

    name: str
    label: str
    factory: Factory
    # The settings (environment variable names) it reads, which `Settings` gains from the
    # registry; none for a local provider.
    key_setting: str | None = None
    url_setting: str | None = None
    url_default: str | None = None
    # Served only when no configured provider of a model's route can (the placeholder).
    fallback_only: bool = False
    # Seconds after its submit that a job there can still be polled for its image (a
    # restart resumes it within that); 0 for a provider that keeps no job to poll.
    resumable_for: float = 0.0
