"""Metrics for an operator (SPEC section 14): the families the job path, the providers
and the database feed. `bot.endpoint` serves them at `/metrics` in Prometheus' text
format, with `/healthz` and `/readyz`, when `METRICS_PORT` is set."""

from __future__ import annotations

from bot.metrics.families import Metrics

__all__ = ["Metrics"]
