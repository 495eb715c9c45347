"""A job of several images counts each against the member's limit (`/imagine count`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from bot.limits import FairScheduler, TooManyJobs

GUILD, A, B = 1, 11, 12


@dataclass
class Held:
    """A job that holds its slot until `finish`."""

    entered: asyncio.Event
    leave: asyncio.Event
    task: asyncio.Task[None]

    @property
    def running(self) -> bool:
        return self.entered.is_set()

    async def started(self) -> None:
        await asyncio.wait_for(self.entered.wait(), 5)

    async def finish(self) -> None:
        self.leave.set()
        await asyncio.wait_for(self.task, 5)


def submit(scheduler: FairScheduler, user: int, size: int) -> Held:
    ticket = scheduler.admit(GUILD, user, size=size)
    entered, leave = asyncio.Event(), asyncio.Event()

    async def job() -> None:
        async with scheduler.run(ticket):
            entered.set()
            await leave.wait()

    return Held(entered, leave, asyncio.create_task(job()))


def scheduler() -> FairScheduler:
    return FairScheduler(per_member=2, per_server=6, max_waiting_per_member=5)


async def test_a_job_of_four_runs_alone_and_holds_the_members_every_slot() -> None:
    limits = scheduler()
    big = submit(limits, A, 4)
    await big.started()  # bigger than the limit, but alone: it runs
    small, other = submit(limits, A, 1), submit(limits, B, 1)
    await other.started()  # another member is not held back
    await asyncio.sleep(0.01)
    assert not small.running  # the member's four images fill their limit
    await big.finish()
    await small.started()
    await asyncio.gather(small.finish(), other.finish())


async def test_a_job_of_two_waits_for_room_and_is_not_overtaken() -> None:
    limits = scheduler()
    first = submit(limits, A, 1)
    await first.started()
    pair, single = submit(limits, A, 2), submit(limits, A, 1)
    await asyncio.sleep(0.01)
    assert not pair.running and not single.running  # one slot free: the pair waits
    await first.finish()
    await pair.started()
    await asyncio.sleep(0.01)
    assert not single.running
    await pair.finish()
    await single.started()
    await single.finish()


def test_the_images_waiting_count_against_the_queue_limit() -> None:
    limits = scheduler()
    limits.admit(GUILD, A, size=4)
    limits.admit(GUILD, A, size=3)  # 7: the limit, reached
    with pytest.raises(TooManyJobs) as refused:
        limits.admit(GUILD, A, size=1)
    assert refused.value.count == 7
