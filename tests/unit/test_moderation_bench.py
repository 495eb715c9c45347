"""The blocklist benchmark (bench/blocklist.py), run small: it measures what it says, on a
list of the size asked for and a prompt that hits nothing. No timing asserted."""

from __future__ import annotations

from bench import blocklist as bench_blocklist


def test_the_blocklist_benchmark_reports_every_figure() -> None:
    result = bench_blocklist.run(entry_count=300, chars=500, calls=5)
    assert result["entries"] == 300
    assert result["prompt_chars"] == 500
    for figure in ("ascii", "unicode", "spaced", "digits", "with_regexes"):
        assert 0 < result[figure]["median_ms"] <= result[figure]["p99_ms"], figure
    assert isinstance(result["meets_target"], bool)
