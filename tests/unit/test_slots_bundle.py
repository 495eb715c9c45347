"""Result slots shared by the images of one job (bot/providers/slots.py `bundle`)."""

from __future__ import annotations

import asyncio

from bot.providers.slots import ResultSlots, Slot


async def _job(slots: ResultSlots, images: int, held: list[Slot]) -> None:
    """Takes a slot per image as each arrives (one every 10 ms), holding them all until
    the last is in."""
    async def one(n: int) -> None:
        await asyncio.sleep(n * 0.01)
        held.append(await slots.take())

    with slots.bundle(images):
        await asyncio.gather(*(one(n) for n in range(images)))
    for slot in held:
        slot.release()


async def test_jobs_holding_some_images_never_wait_on_each_other_for_the_rest() -> None:
    # Taken one by one, two jobs of three images under a bound of four could hold two
    # each and wait for good; a bundle takes its three at once.
    slots = ResultSlots(4)
    held: list[list[Slot]] = [[], []]
    jobs = [asyncio.create_task(_job(slots, 3, held[n])) for n in range(2)]
    await asyncio.wait_for(asyncio.gather(*jobs), 5)
    assert slots.held == 0


async def test_a_bundle_gives_back_the_slots_of_images_that_never_came() -> None:
    slots = ResultSlots(8)
    with slots.bundle(4):
        first = await slots.take()  # takes all four for the job
        assert slots.held == 4
    assert slots.held == 1  # the three unused ones are back; the image keeps its own
    first.release()
    assert slots.held == 0


async def test_jobs_of_several_images_waiting_for_the_rest_leave_slots_for_single_images(
) -> None:
    # Two jobs of two images under a bound of four: each has its first image, and a
    # provider keeps the second. A job of one image still gets a slot at once.
    slots = ResultSlots(4)
    hung = asyncio.Event()
    firsts: list[Slot] = []

    async def waiting_for_its_second() -> None:
        with slots.bundle(2):
            first = await slots.take()
            firsts.append(first)
            await hung.wait()
        first.release()  # posted, with the second image that never came

    jobs = [asyncio.create_task(waiting_for_its_second()) for _ in range(2)]
    single = asyncio.create_task(slots.take())
    await asyncio.sleep(0.05)
    assert single.done() and len(firsts) == 1  # the second bundle waits its turn
    single.result().release()
    hung.set()
    await asyncio.wait_for(asyncio.gather(*jobs), 5)
    assert len(firsts) == 2 and slots.held == 0
