"""The prompt autocomplete benchmark (bench/autocomplete.py), run small: it fills the
jobs asked for and times answers for both kinds of member. No timing asserted."""

from __future__ import annotations

from bench import autocomplete


def test_the_autocomplete_benchmark_reports_every_figure() -> None:
    result = autocomplete.run(jobs=2_000, queries=20)
    assert (result["engine"], result["jobs"], result["queries"]) == ("sqlite", 2_000, 20)
    assert 0 < result["median_ms"] <= result["p99_ms"]
    assert result["heavy_member_p99_ms"] > 0 and result["ordinary_member_p99_ms"] > 0
