"""The private progress message of a job: it says the job is generating while the
provider works, the image is then posted without another edit first, and its last word
links to the image."""

from __future__ import annotations

import pytest

from tests.support.e2e_fixtures import World, private_text, results, settled

PROVIDER_SECONDS = 2.0  # far longer than an edit takes to reach the stand-in

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


async def test_thinking_ends_while_the_provider_works_not_between_the_image_and_its_post(
    world: World,
) -> None:
    # The public result can go out only once the private "thinking" state is over, which
    # takes an edit: made as the job starts generating, that round trip to Discord is not
    # on the way from the finished image to the member.
    world.providers.onemin.inject("slow", times=1, seconds=PROVIDER_SECONDS)
    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="a cat", model="flux-dev"))
    made = next(r for r in world.providers.onemin.requests if r.path == "/api/features")
    edits = [ix.dispatched_at + at for at, what in ix.timeline if what == "PATCH @original"]
    posted = [ix.dispatched_at + at for at, what in ix.timeline if what == "followup"]
    assert edits and posted, ix.timeline
    assert edits[0] < made.finished < posted[0], (ix.timeline, made)
    # Between the image and its post: no edit at all.
    assert not [at for at in edits if made.finished < at < posted[0]], ix.timeline
    seen = [str(h.get("content")) for h in ix.original.history]
    assert not any("your image is in the channel" in s for s in seen), seen
    assert private_text(ix).startswith("Done:") and "/channels/" in private_text(ix)
