"""The private progress message of a job that takes a while: after the first seconds it
says the job is generating, the image is then posted without another edit first, and its
last word links to the image."""

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


async def test_once_shown_generating_the_image_goes_out_without_another_edit_first(
    world: World,
) -> None:
    # The member already sees the job generating, so the "thinking" state is over: the
    # result is posted at once, and the last word with its link follows.
    world.providers.onemin.inject("slow", times=1, seconds=2.8)
    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="a cat", model="flux-dev"))
    seen = [str(h.get("content")) for h in ix.original.history]
    assert [s.startswith("Generating with") for s in seen].count(True) >= 1, seen
    assert not any("your image is in the channel" in s for s in seen), seen
    assert private_text(ix).startswith("Done:") and "/channels/" in private_text(ix)
    assert len(results(world.general)) == 1
