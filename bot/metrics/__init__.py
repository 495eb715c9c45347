"""Metrics and health for an operator (SPEC section 14): `METRICS_PORT` serves
`/metrics` in Prometheus' text format, `/healthz` and `/readyz`."""

from __future__ import annotations

from bot.metrics.endpoint import Readiness, serve_metrics
from bot.metrics.families import Metrics

__all__ = ["Metrics", "Readiness", "serve_metrics"]
