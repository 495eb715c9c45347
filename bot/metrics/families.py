"""The metric families fluxcord exports, and the observer that fills them.

Every label value comes from a small fixed set (the catalogue's models, the registered
providers, the job outcomes): a member or a server can never add a time series. What is a
count of something held elsewhere (jobs queued and running, provider health) is read at
scrape time, so the job path pays nothing for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from bot.catalogue import MODELS
from bot.observers import Outcome
from bot.providers.registry import BY_NAME as PROVIDERS

# From a quick placeholder image to a slow provider's queue and the 300 s deadline.
_SECONDS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
# discord.py's own warning when Discord answers 429 (discord/http.py).
_RATE_LIMITED = "We are being rate limited"


def model_label(model: str) -> str:
    """`model` when it is in the catalogue; `other` for anything else a request named."""
    return model if model in MODELS else "other"


def provider_label(provider: str) -> str:
    """`provider` when it is registered; `none` when no provider was reached."""
    return provider if provider in PROVIDERS else "none"


class Metrics:
    """fluxcord's metrics in a registry of their own (one per bot, so several bots in
    one test process do not share counters); a job and a provider observer."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.jobs = Counter(
            "fluxcord_jobs", "Jobs ended, by model, provider and outcome.",
            ("model", "provider", "outcome"), registry=self.registry)
        self.job_seconds = Histogram(
            "fluxcord_job_seconds",
            "From the job's start (queue included) to its end; refusals not counted.",
            ("model", "outcome"), buckets=_SECONDS, registry=self.registry)
        self.provider_seconds = Histogram(
            "fluxcord_provider_seconds",
            "One provider call: submit, polls and download.",
            ("provider", "result"), buckets=_SECONDS, registry=self.registry)
        self.credits_spent = Counter(
            "fluxcord_credits_spent", "Credits members paid for posted images, by model.",
            ("model",), registry=self.registry)
        self.discord_rate_limits = Counter(
            "fluxcord_discord_rate_limits", "Answers 429 from Discord to this process.",
            registry=self.registry)
        ProcessCollector(registry=self.registry)

    def job_ended(self, outcome: Outcome, model: str, provider: str, seconds: float,
                  spent: int) -> None:
        """The job service's observer (bot.observers.JobObserver)."""
        model = model_label(model)
        self.jobs.labels(model, provider_label(provider), outcome.value).inc()
        if outcome is not Outcome.REFUSED:
            self.job_seconds.labels(model, outcome.value).observe(seconds)
        if spent:
            self.credits_spent.labels(model).inc(spent)

    def provider_called(self, provider: str, seconds: float, ok: bool) -> None:
        """The router's observer (bot.observers.ProviderObserver)."""
        self.provider_seconds.labels(provider_label(provider), "ok" if ok else "error"
                                     ).observe(seconds)

    def watch(self, queue: Callable[[], tuple[int, int]],
              providers: Callable[[], dict[str, bool]]) -> None:
        """Reads jobs queued and running, and each configured provider's health, at
        every scrape."""
        self.registry.register(_Current(queue, providers))

    def count_discord_rate_limits(self, logger: logging.Logger) -> logging.Filter:
        """Counts discord.py's warnings of a 429 from Discord on `logger`; the filter
        that does it, to remove when done."""
        counter = _RateLimitCounter(self.discord_rate_limits)
        logger.addFilter(counter)
        return counter


class _Current(Collector):
    """What is true now: jobs queued and running, providers up."""

    def __init__(self, queue: Callable[[], tuple[int, int]],
                 providers: Callable[[], dict[str, bool]]) -> None:
        self._queue = queue
        self._providers = providers

    def collect(self) -> Iterator[Metric]:
        queued, running = self._queue()
        yield GaugeMetricFamily("fluxcord_jobs_queued",
                                "Jobs reserved and waiting for their turn.", value=queued)
        yield GaugeMetricFamily("fluxcord_jobs_running",
                                "Jobs at a provider or being posted.", value=running)
        up = GaugeMetricFamily("fluxcord_provider_up",
                               "1 when a configured provider is healthy, 0 when it is "
                               "failing or out of the routes.", labels=("provider",))
        for name, healthy in self._providers().items():
            up.add_metric((provider_label(name),), 1.0 if healthy else 0.0)
        yield up


class _RateLimitCounter(logging.Filter):
    """Counts discord.py's 429 warnings as they are logged; lets every record through."""

    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self._counter = counter

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(_RATE_LIMITED):
            self._counter.inc()
        return True
