"""The private progress message of a job that takes a while: after the first seconds it
says the job is generating, and its last word links to the image."""

from __future__ import annotations

import pytest

from tests.support.e2e_fixtures import World, private_text, results, settled

pytestmark = pytest.mark.asyncio


async def test_a_slow_job_is_shown_generating_after_its_first_seconds(world: World) -> None:
    world.providers.onemin.inject("slow", times=1, seconds=2.8)
    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="a cat", model="flux-dev"))
    seen = [str(h.get("content")) for h in ix.original.history]
    assert any(s.startswith("Generating with") for s in seen), seen
    assert private_text(ix).startswith("Done:")
    assert len(results(world.general)) == 1
