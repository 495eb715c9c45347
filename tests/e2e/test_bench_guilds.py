"""The memory per server benchmark, run small: the real bot process logs in to a few
guilds in each configuration and the figures come back; no timing or size asserted."""

from __future__ import annotations

import math

from bench import guilds


def test_a_small_guilds_benchmark_reports_ready_time_and_memory_per_guild() -> None:
    result = guilds.run(guilds=40, channels=2, members=2, before=True)

    assert [case["variant"] for case in result["cases"]] == ["lean", "before"]
    for case in result["cases"]:
        assert case["many_guilds"]["guilds"] == 40
        assert case["one_guild"]["shards"] == case["many_guilds"]["shards"] == 1
        for figures in (case["one_guild"], case["many_guilds"]):
            assert figures["ready_s"] > 0 and figures["rss_mb"] > 0, figures
        assert math.isfinite(case["mb_per_1000_guilds"])
