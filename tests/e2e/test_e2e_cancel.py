"""Cancel on a queued job's private progress message, end to end."""

from __future__ import annotations

import pytest

from tests.support.e2e_fixtures import World, private_text, results, settled
from tests.support.standins.discord_interactions import StandInInteraction
from tests.support.standins.images import make_image

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0


def showing(prefix: str):  # type: ignore[no-untyped-def]
    def check(ix: StandInInteraction) -> bool:
        return ix.original is not None and str(ix.original.content).startswith(prefix)
    check.__name__ = f"showing {prefix!r}"
    return check


def cancel_id(ix: StandInInteraction) -> str:
    assert ix.original is not None
    [custom_id] = [c for c in ix.original.custom_ids() if c.startswith("fluxcord:cancel:")]
    return custom_id


async def test_cancel_while_queued_refunds_at_once_and_not_after_submit(world: World) -> None:
    services = world.runner.services
    assert services is not None
    onemin = world.providers.onemin
    onemin.inject("slow", times=4, seconds=60)  # held at the provider until released

    async def imagine(prompt: str) -> StandInInteraction:
        return await world.discord.slash(world.general, world.alice, "imagine",
                                         prompt=prompt, model="flux-pro")

    # Two jobs in flight per member: the next two wait in the queue.
    busy = [await imagine(f"busy {n}") for n in range(2)]
    await world.discord.wait_until(lambda: len(onemin.generation_bodies()) == 2,
                                   timeout=TIMEOUT)
    first, second = await imagine("first waiting"), await imagine("second waiting")
    for ix in (first, second):
        await ix.wait_until(showing("Queued"), timeout=TIMEOUT)
    assert (await services.credits.balance(world.guild.id, world.alice.id)).total == 30

    # Someone else cannot cancel it (the message is private, but a custom_id is no secret).
    assert services.jobs.waiting.cancel(cancel_id(first).rsplit(":", 1)[1],
                                        world.bob.id).value == "not yours"

    await world.discord.click(first.original, cancel_id(first), world.alice)
    await first.wait_until(showing("Cancelled"), timeout=TIMEOUT)
    assert private_text(first) == "Cancelled. Your 5 credits are back."
    assert not first.original.custom_ids()  # the button is gone with the job
    assert (await services.credits.balance(world.guild.id, world.alice.id)).total == 35

    # The busy jobs finish; the second waiting one reaches the provider and is held there.
    onemin.release()
    await second.wait_until(showing("Generating"), timeout=TIMEOUT)
    late = await world.discord.click(second.original, cancel_id(second), world.alice)
    await late.wait_until(lambda ix: ix.original is not None, timeout=TIMEOUT)
    assert "can no longer be cancelled" in private_text(late)

    onemin.release()
    for ix in (*busy, second):
        await settled(ix)
    assert len(results(world.general)) == 3
    assert "first waiting" not in str(onemin.generation_bodies())
    assert (await services.credits.balance(world.guild.id, world.alice.id)).total == 35


async def test_a_job_cancelled_while_queued_keeps_no_input_image(world: World) -> None:
    services = world.runner.services
    assert services is not None
    onemin = world.providers.onemin
    onemin.inject("slow", times=2, seconds=60)  # held at the provider until released
    busy = [await world.discord.slash(world.general, world.alice, "imagine",
                                      prompt=f"busy {n}", model="flux-pro") for n in range(2)]
    await world.discord.wait_until(lambda: len(onemin.generation_bodies()) == 2,
                                   timeout=TIMEOUT)
    picture = world.discord.register_attachment(make_image(640, 640, "png"), "ref.png",
                                                "image/png")
    queued = await world.discord.slash(world.general, world.alice, "imagine",
                                       prompt="from my photo", model="flux-dev", image=picture)
    await queued.wait_until(showing("Queued"), timeout=TIMEOUT)
    job_id = cancel_id(queued).rsplit(":", 1)[1]
    assert await services.continuity.stored_input(job_id) is not None

    await world.discord.click(queued.original, cancel_id(queued), world.alice)
    await queued.wait_until(showing("Cancelled"), timeout=TIMEOUT)

    assert await services.continuity.stored_input(job_id) is None
    onemin.release()
    for ix in busy:
        await settled(ix)
