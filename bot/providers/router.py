"""Which provider makes an image, with what retries, and how each provider is doing.

A model's route is the catalogue order (apiframe then Segmind for flux-1.1-pro) unless
the operator's `routing` reorders or trims it. A request goes to the first configured
provider that takes every option set and whose safety floor fits the cap. Retryable
failures (429, 5xx, connection, malformed answers) are retried on the same provider with
backoff, then the next provider is tried; a timeout goes to the next provider at once; a
rejection of the request (bad input, moderation) is raised at once and goes nowhere else.

A provider that answers "bad credentials" or "out of provider credit" cannot serve anyone:
it is taken out of every route (the next provider serves, this request included) until
the periodic health check finds its key working again. The operator is told once, in the
log and through `notify` when the bot wires it to a channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.catalogue import MODELS, Model, ProviderSchema
from bot.catalogue.plan import IMPLICIT_TOLERANCE, Plan, make_plan, provider_allowed
from bot.i18n import tr
from bot.mentions import typed
from bot.observers import Leases, ProviderObserver
from bot.providers.base import GeneratedImage, GenerationRequest, Provider, ProviderHealth
from bot.providers.errors import (
    AuthenticationError,
    InsufficientProviderCredit,
    NoProviderAvailable,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ResultUnavailable,
)
from bot.providers.http import RetryPolicy
from bot.providers.registry import label as provider_label
from bot.providers.slots import ResultSlots

log = logging.getLogger(__name__)

# Consecutive provider-side failures after which /models calls a provider failing.
FAILING_AFTER = 3
# How long a taken-out provider's health check may take before the next one's turn.
HEALTH_CHECK_SECONDS = 20.0
# Errors that say the provider cannot serve anyone until the operator acts.
_FATAL = (AuthenticationError, InsufficientProviderCredit)

#: Tells the operator something (the bot posts it in OPS_CHANNEL_ID).
Notify = Callable[[str], Awaitable[None]]


class Gate:
    """One provider's admission: at most `limit` calls at once, none during a 429
    cool-down. A 429 halves the limit; each success after it gives one slot back."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_limit = self.limit = limit
        self.in_flight = 0
        self._until = 0.0
        self._clock = clock
        self._changed = asyncio.Condition()

    @property
    def cooling_down(self) -> bool:
        return self._until > self._clock()

    def cool_down(self, seconds: float) -> None:
        """Holds new calls back for `seconds` and halves the concurrency (once per
        cool-down: the other calls in flight answering 429 too is the same news)."""
        if not self.cooling_down:
            self.limit = max(1, self.limit // 2)
        self._until = max(self._until, self._clock() + seconds)

    async def recover(self) -> None:
        """A success: one slot back, up to the configured limit."""
        if self.limit < self.max_limit:
            async with self._changed:
                self.limit += 1
                self._changed.notify_all()

    async def __aenter__(self) -> None:
        async with self._changed:
            while True:
                wait = self._until - self._clock()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), wait)
                elif self.in_flight < self.limit:
                    break
                else:
                    await self._changed.wait()
            self.in_flight += 1

    async def __aexit__(self, *exc_info: object) -> None:
        async with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """A provider's state as the router has seen it, for /models."""

    provider: str
    configured: bool
    consecutive_failures: int = 0
    last_error: str | None = None
    fatal: bool = False
    cooling_down: bool = False
    concurrency: int = 0

    @property
    def healthy(self) -> bool:
        return self.configured and not self.fatal and self.consecutive_failures < FAILING_AFTER


@dataclass(slots=True)
class _State:
    gate: Gate
    failures: int = 0
    last_error: str | None = None
    fatal: bool = False

    def failed(self, error: ProviderError) -> None:
        # A refused prompt or option says nothing about the provider's health.
        if error.retryable or isinstance(error, (*_FATAL, ResultUnavailable)):
            self.failures += 1
            self.last_error = type(error).__name__
            self.fatal = self.fatal or isinstance(error, _FATAL)

    def succeeded(self) -> None:
        self.failures, self.fatal = 0, False


class Router:
    """Routes generation requests over the configured providers."""

    def __init__(
        self,
        providers: Mapping[str, Provider],
        routes: Mapping[str, Sequence[str]] | None = None,
        *,
        policy: RetryPolicy | None = None,
        concurrency: int = 8,
        limits: Mapping[str, int] | None = None,
        deadline: float = 300.0,
        results: ResultSlots | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._providers = dict(providers)
        self._routes = {m: list(r) for m, r in (routes or {}).items() if m in MODELS}
        self.policy = policy or RetryPolicy()
        #: The most one provider call may take, whatever the provider does.
        self.deadline = deadline
        #: The results held in memory now (MAX_IMAGES_IN_FLIGHT), shared by the providers.
        self.results = results or ResultSlots()
        #: Where the operator is told about a provider leaving or rejoining the routes.
        self.notify: Notify | None = None
        #: Told of each provider call's duration and result (the metrics, when on).
        self.observer: ProviderObserver | None = None
        self._checker: asyncio.Task[None] | None = None
        limits = limits or {}
        self._states = {name: _State(Gate(limits.get(name, concurrency), clock))
                        for name in self._providers}
        #: Shares each provider's limit with the bot's other processes (PostgreSQL).
        self.leases: Leases | None = None
        # `offered()` by the configured flags it was built for: a job asks three times.
        self._offered: tuple[tuple[bool, ...], dict[str, Model]] | None = None
        for model, route in self._routes.items():
            for name in route:
                if self._schema(model, name) is None:
                    log.warning("routing: %s does not serve %s; ignored", name, model)

    def route(self, model: str) -> list[str]:
        """The providers of `model` in the order they are tried (configured or not)."""
        if model not in MODELS:
            return []
        if model in self._routes:  # the operator's order; an empty list turns the model off
            route = list(self._routes[model])
        else:
            route = [s.provider for s in MODELS[model].schemas]
        route = [name for name in route if self._schema(model, name) is not None]
        if not any(self._configured(n) for n in route if not self._providers[n].fallback):
            route += [
                name for name, p in self._providers.items()
                if p.fallback and name not in route and self._schema(model, name) is not None
            ]
        return route

    def plan(
        self, model: str, options: Mapping[str, Any], cap: int, *, image: bool = False,
        by_link: bool = True,
    ) -> Plan:
        """The job's plan: for each configured provider of `model`'s route, in order, that
        can take the member's `options` (catalogue names, without prompt, seed and image)
        under the safety `cap`, the exact wire parameters; without those that take an
        input image only by link when `by_link` is False (its link has expired). Raises
        NoProviderAvailable, with a message for the member, when no provider can."""
        schemas = [
            schema for name in self.route(model)
            if self._configured(name) and not self._states[name].fatal
            and (schema := self._schema(model, name)) is not None
        ]
        found = make_plan(model, schemas, options, cap, image=image)
        if not found.attempts:
            asked = {**options, "image": True} if image else dict(options)
            raise self.unavailable(model, asked, cap)
        if not by_link:
            found = Plan(model, tuple(
                a for a in found.attempts
                if not getattr(self._providers.get(a.provider), "image_by_url", False)))
            if not found.attempts:
                error = NoProviderAvailable(f"no candidate by bytes for {model}",
                                            provider="router")
                error.user_message = tr(
                    "The image of that job has expired at Discord, and {label}'s provider "
                    "here takes images only by link. Use /imagine with the image attached "
                    "again.", label=MODELS[model].label)
                raise error
        return found

    async def generate(self, request: GenerationRequest) -> GeneratedImage:
        """Walks the request's plan: the first attempt that succeeds makes the image; a
        rejection of the request is raised at once, the last error when every attempt
        failed. A provider taken out of the routes since the plan was made is skipped."""
        attempts = [a for a in request.plan.attempts
                    if a.provider in self._states and not self._states[a.provider].fatal]
        if not attempts:
            raise self.unavailable(request.plan.model, {}, 6)
        last: ProviderError | None = None
        for index, attempt in enumerate(attempts):
            try:
                return await self._attempts(self._providers[attempt.provider], request)
            except ProviderError as exc:
                # A refused key or an empty provider account says nothing about the
                # request: the next provider may serve it.
                if not exc.retryable and not isinstance(exc, _FATAL):
                    raise
                last = exc
                if index + 1 < len(attempts):
                    log.warning("job %s: %s failed (%s); trying %s", request.job_id,
                                attempt.provider, type(exc).__name__,
                                attempts[index + 1].provider)
        assert last is not None
        raise last

    async def resume(self, request: GenerationRequest) -> GeneratedImage:
        """Finishes a job submitted before a restart (`request.resume`) at the provider
        that has it, under the overall deadline: no retry elsewhere, since another
        provider would make (and charge for) a second image."""
        assert request.resume is not None
        provider = self._providers.get(request.resume.provider)
        if provider is None or not provider.configured:
            raise self.unavailable(request.plan.model, {}, 6)
        return await self._call(provider, request)

    def offered(self) -> dict[str, Model]:
        """The catalogue as this bot serves it: each model with the schemas of the
        configured providers on its route (all of them while none is configured, so the
        member then hears that the model is not set up rather than about an option)."""
        # Routes are fixed at start; only a provider's configuration may change, so the
        # flags are the whole key. A copy goes out: callers may change theirs.
        flags = tuple(p.configured for p in self._providers.values())
        if self._offered is None or self._offered[0] != flags:
            self._offered = (flags, self._build_offered())
        return dict(self._offered[1])

    def _build_offered(self) -> dict[str, Model]:
        offered: dict[str, Model] = {}
        for model_id, model in MODELS.items():
            schemas = [s for n in self.route(model_id)
                       if self._configured(n) and (s := self._schema(model_id, n)) is not None]
            offered[model_id] = model.served_by(schemas) if schemas else model
        return offered

    def servable_models(self) -> list[str]:
        """The models at least one configured provider (or the placeholder) can serve."""
        return [m for m in MODELS if any(self._configured(n) for n in self.route(m))]

    def status(self) -> list[ProviderStatus]:
        """Every provider's configuration and recent health, without network I/O."""
        return [
            ProviderStatus(
                provider=name, configured=self._configured(name),
                consecutive_failures=state.failures, last_error=state.last_error,
                fatal=state.fatal, cooling_down=state.gate.cooling_down,
                concurrency=state.gate.limit,
            )
            for name, state in self._states.items()
        ]

    async def health(self) -> list[ProviderHealth]:
        """Each provider's own check (a cheap authenticated call where one exists)."""
        providers = list(self._providers.values())
        results = await asyncio.gather(*(p.health() for p in providers), return_exceptions=True)
        return [
            r if isinstance(r, ProviderHealth)
            else ProviderHealth(p.name, p.configured, None, f"check failed: {type(r).__name__}",
                                reachable=False)
            for p, r in zip(providers, results, strict=True)
        ]

    async def _attempts(self, provider: Provider, request: GenerationRequest) -> GeneratedImage:
        """One provider's tries at the request: retryable failures again, with backoff."""
        name = provider.name
        state = self._states[name]
        for attempt in range(1, self.policy.attempts + 1):
            try:
                async with state.gate, self._lease(name):
                    image = await self._call(provider, request)
            except ProviderError as exc:
                if isinstance(exc, _FATAL):
                    await self._take_out(name, exc)
                state.failed(exc)
                log.warning("job %s: %s attempt %d failed: %s", request.job_id, name, attempt, exc)
                if isinstance(exc, RateLimitError):
                    # Slows this provider for everyone; the others are not touched.
                    state.gate.cool_down(self.policy.cooldown(exc))
                    if self.leases is not None:  # and in the bot's other processes
                        self.leases.cooled_down(name, self.policy.cooldown(exc))
                # A timed-out call may still be generating (and be charged): waiting for it
                # again would double a long wait, so a timeout moves on to the next provider.
                if not exc.retryable or isinstance(exc, ProviderTimeout):
                    raise
                if attempt == self.policy.attempts:
                    raise
                if not isinstance(exc, RateLimitError):  # the gate already waits out a 429
                    await asyncio.sleep(self.policy.delay(attempt, exc))
            else:
                state.succeeded()
                await state.gate.recover()
                return image
        raise AssertionError("unreachable")

    def cool_down(self, name: str, seconds: float) -> None:
        """Holds calls to `name` back for `seconds` (another process met its 429)."""
        if name in self._states:
            self._states[name].gate.cool_down(seconds)

    def limit(self, name: str) -> int:
        """The configured most calls to `name` at once."""
        return self._states[name].gate.max_limit

    def _lease(self, name: str) -> contextlib.AbstractAsyncContextManager[None]:
        if self.leases is None:
            return contextlib.nullcontext()
        return self.leases.hold(name, self._states[name].gate.max_limit)

    async def _call(self, provider: Provider, request: GenerationRequest) -> GeneratedImage:
        """One provider call under the overall deadline: submit, polls and download."""
        started, ok = time.monotonic(), False
        try:
            async with asyncio.timeout(self.deadline):
                image = await provider.generate(request)
            ok = True
            return image
        except TimeoutError:
            raise ProviderTimeout(
                f"no image within the {self.deadline:g} s deadline", provider=provider.name
            ) from None
        finally:
            if self.observer is not None:
                self.observer.provider_called(provider.name, time.monotonic() - started, ok)

    async def _take_out(self, name: str, error: ProviderError) -> None:
        """Takes `name` out of every route; tells the operator the first time."""
        if self._states[name].fatal:
            return
        self._states[name].fatal = True
        label = provider_label(name)
        text = (f"{label} is out of every route until its key works again: "
                f"{type(error).__name__}: ")
        log.error("provider %s%s", text, error)
        # The provider's own words, shown as written: no markup or link of theirs.
        await self._tell(f"Provider {text}{typed(str(error))}")

    async def _tell(self, text: str) -> None:
        if self.notify is None:
            return
        try:
            await self.notify(text)
        except Exception:  # the operator's channel failing must not fail a member's job
            log.warning("could not notify the operator", exc_info=True)

    def start_health_checks(self, interval: float) -> None:
        """Checks the providers taken out every `interval` s, in a background task."""
        if self._checker is None:
            self._checker = asyncio.create_task(self._check_loop(interval), name="health")

    async def stop_health_checks(self) -> None:
        if self._checker is not None:
            self._checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checker
            self._checker = None

    async def _check_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.recheck()

    async def recheck(self) -> list[str]:
        """Checks each provider taken out; puts back those whose key works again.
        Returns the names put back."""
        back = []
        for name, state in self._states.items():
            if not state.fatal:
                continue
            try:
                # One provider answering slowly holds up no other's check for long.
                async with asyncio.timeout(HEALTH_CHECK_SECONDS):
                    health = await self._providers[name].health()
            except TimeoutError:
                log.warning("health check of %s gave no answer within %g s", name,
                            HEALTH_CHECK_SECONDS)
                continue
            except Exception:
                log.warning("health check of %s failed", name, exc_info=True)
                continue
            # A provider without a cheap authenticated call (key_ok None) gets a new trial.
            if health.key_ok or (health.key_ok is None and health.configured
                                 and health.reachable):
                state.succeeded()
                back.append(name)
                label = provider_label(name)
                log.warning("provider %s works again; back in its routes", label)
                await self._tell(f"Provider {label} works again and is back in its routes.")
        return back

    def _schema(self, model: str, name: str) -> ProviderSchema | None:
        provider = self._providers.get(name)
        return provider.schema(model) if provider is not None else None

    def _configured(self, name: str) -> bool:
        provider = self._providers.get(name)
        return provider is not None and provider.configured

    def unavailable(self, model: str, options: Mapping[str, Any], cap: int) -> NoProviderAvailable:
        error = NoProviderAvailable(f"no candidate for {model}", provider="router")
        if model not in MODELS:
            error.user_message = tr("There is no model `{model}`.", model=model)
            return error
        label = MODELS[model].label
        route = self.route(model)
        names = ", ".join(provider_label(n) for n in route) or tr("none")
        configured = [n for n in route if self._configured(n)]
        schemas = [s for n in configured
                   if not self._states[n].fatal and (s := self._schema(model, n))]
        if not route:
            error.user_message = tr("{label} is turned off on this bot.", label=label)
        elif configured and not schemas:
            error.user_message = tr(
                "{label} cannot be made right now: its provider refused the bot's key or is "
                "out of credit, and the bot's operator has to fix that.", label=label
            )
        elif not schemas:
            error.user_message = tr(
                "{label} is not available on this bot: its provider ({names}) is not set up.",
                label=label, names=names
            )
        elif not any(provider_allowed(s, cap) for s in schemas):
            error.user_message = tr(
                "{label}'s provider applies its own safety level ({level}), "
                "above the cap of {cap} here.", label=label, level=IMPLICIT_TOLERANCE, cap=cap
            )
        else:
            untaken = sorted(o for o in options if not any(s.takes(o) for s in schemas))
            what = ", ".join(f"`{o}`" for o in untaken) or tr("this combination of options")
            error.user_message = tr("The provider of {label} set up on this bot cannot take "
                                    "{what}.", label=label, what=what)
        return error
