"""Jobs in flight per member and per server, and the fair queue (SPEC section 5)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from bot.limits import FairScheduler, Ticket, TooManyJobs

GUILD, OTHER_GUILD = 1, 2
A, B, C = 11, 12, 13


class Jobs:
    """Runs tickets as tasks that hold their slot until the test lets them finish."""

    def __init__(self, scheduler: FairScheduler) -> None:
        self.scheduler = scheduler
        self.started: list[str] = []
        self.running: set[str] = set()
        self.positions: dict[str, list[int]] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.peak: Counter[tuple[int, ...]] = Counter()
        self._now: Counter[tuple[int, ...]] = Counter()
        self._finish: dict[str, asyncio.Event] = {}

    def submit(self, name: str, guild: int, user: int, lane: str = "") -> Ticket:
        ticket = self.scheduler.admit(guild, user, lane)
        self._finish[name] = asyncio.Event()
        self.positions[name] = []
        self.tasks[name] = asyncio.create_task(self._job(name, ticket))
        return ticket

    async def _job(self, name: str, ticket: Ticket) -> None:
        async def report(position: int) -> None:
            self.positions[name].append(position)

        keys = [(ticket.guild_id, ticket.user_id), (ticket.guild_id,)]
        async with self.scheduler.run(ticket, on_position=report):
            self.started.append(name)
            self.running.add(name)
            for key in keys:
                self._now[key] += 1
                self.peak[key] = max(self.peak[key], self._now[key])
            try:
                await self._finish[name].wait()
            finally:
                self.running.discard(name)
                for key in keys:
                    self._now[key] -= 1

    async def finish(self, name: str) -> None:
        self._finish[name].set()
        await self.tasks[name]
        await settle()


async def settle() -> None:
    """Lets every woken task run until the queue is still."""
    for _ in range(20):
        await asyncio.sleep(0)


async def _drain(jobs: Jobs) -> None:
    """Finishes running jobs, oldest first, until none is left."""
    while jobs.running:
        await jobs.finish(min(jobs.running, key=jobs.started.index))


async def test_a_member_runs_at_most_per_member_jobs() -> None:
    scheduler = FairScheduler(per_member=2, per_server=10, max_waiting_per_member=5)
    jobs = Jobs(scheduler)
    for n in range(5):
        jobs.submit(f"a{n}", GUILD, A)
    await settle()
    assert jobs.started == ["a0", "a1"]
    assert scheduler.counts(GUILD) == (2, 3)
    await jobs.finish("a0")
    assert jobs.started == ["a0", "a1", "a2"]
    await _drain(jobs)
    assert jobs.started == [f"a{n}" for n in range(5)]
    assert jobs.peak[GUILD, A] == 2
    assert scheduler.counts(GUILD) == (0, 0)


async def test_a_server_runs_at_most_per_server_jobs_and_servers_are_independent() -> None:
    scheduler = FairScheduler(per_member=2, per_server=3, max_waiting_per_member=5)
    jobs = Jobs(scheduler)
    for user in (A, B, C):
        for n in range(2):
            jobs.submit(f"{user}-{n}", GUILD, user)
    jobs.submit("elsewhere", OTHER_GUILD, A)
    await settle()
    assert len([n for n in jobs.started if n != "elsewhere"]) == 3
    assert "elsewhere" in jobs.started  # another server's slots are its own
    assert scheduler.counts(GUILD) == (3, 3)
    await _drain(jobs)
    assert len(jobs.started) == 7
    assert jobs.peak[(GUILD,)] == 3
    assert all(jobs.peak[GUILD, user] <= 2 for user in (A, B, C))


async def test_too_many_jobs_is_refused_with_a_message() -> None:
    scheduler = FairScheduler(per_member=2, per_server=6, max_waiting_per_member=3)
    jobs = Jobs(scheduler)
    for n in range(5):
        jobs.submit(f"a{n}", GUILD, A)
    with pytest.raises(TooManyJobs) as refused:
        scheduler.admit(GUILD, A)
    assert refused.value.message == (
        "You have 5 images queued or running, the most allowed; wait for one to finish."
    )
    assert (refused.value.count, refused.value.limit) == (5, 5)
    jobs.submit("b0", GUILD, B)  # another member is not affected
    await settle()
    await jobs.finish("a0")
    jobs.submit("a5", GUILD, A)  # room again
    await _drain(jobs)
    assert len(jobs.started) == 7


async def test_round_robin_one_members_ten_jobs_do_not_starve_anothers_one() -> None:
    scheduler = FairScheduler(per_member=2, per_server=2, max_waiting_per_member=10)
    jobs = Jobs(scheduler)
    for n in range(10):
        jobs.submit(f"a{n}", GUILD, A)
    await settle()
    jobs.submit("b0", GUILD, B)  # afterwards
    await settle()
    await _drain(jobs)
    order = jobs.started
    assert len(order) == 11
    # B waited for at most one of A's queued jobs, not for all eight.
    assert order.index("b0") <= 3
    assert order[:2] == ["a0", "a1"]


async def test_three_members_are_served_in_turn() -> None:
    scheduler = FairScheduler(per_member=1, per_server=1, max_waiting_per_member=10)
    jobs = Jobs(scheduler)
    for n in range(3):
        jobs.submit(f"a{n}", GUILD, A)
    for n in range(3):
        jobs.submit(f"b{n}", GUILD, B)
    jobs.submit("c0", GUILD, C)
    await settle()
    await _drain(jobs)
    assert jobs.started == ["a0", "a1", "b0", "c0", "a2", "b1", "b2"]


async def test_waiting_jobs_hear_their_position_then_zero() -> None:
    scheduler = FairScheduler(per_member=1, per_server=1, max_waiting_per_member=5)
    jobs = Jobs(scheduler)
    jobs.submit("a0", GUILD, A)
    b0 = jobs.submit("b0", GUILD, B)
    c0 = jobs.submit("c0", GUILD, C)
    a1 = jobs.submit("a1", GUILD, A)
    await settle()
    # In round-robin order: B and C have waited for a turn, A has just had one.
    assert [t.position for t in (b0, c0, a1)] == [1, 2, 3]
    await _drain(jobs)
    assert jobs.positions == {"a0": [0], "b0": [1, 0], "c0": [2, 1, 0], "a1": [3, 2, 1, 0]}
    assert a1.position == 0


async def test_cancelling_a_waiting_job_leaves_the_queue_cleanly() -> None:
    scheduler = FairScheduler(per_member=1, per_server=1, max_waiting_per_member=5)
    jobs = Jobs(scheduler)
    jobs.submit("a0", GUILD, A)
    jobs.submit("b0", GUILD, B)
    c0 = jobs.submit("c0", GUILD, C)
    await settle()
    assert c0.position == 2
    jobs.tasks["b0"].cancel()
    await settle()
    assert jobs.tasks["b0"].cancelled()
    assert c0.position == 1
    assert jobs.positions["c0"] == [2, 1]
    assert scheduler.counts(GUILD) == (1, 1)
    await jobs.finish("a0")
    assert jobs.started == ["a0", "c0"]
    await _drain(jobs)
    assert "b0" not in jobs.started
    assert scheduler.counts(GUILD) == (0, 0)


async def test_cancelling_a_running_job_frees_its_slot() -> None:
    scheduler = FairScheduler(per_member=1, per_server=1, max_waiting_per_member=5)
    jobs = Jobs(scheduler)
    jobs.submit("a0", GUILD, A)
    jobs.submit("b0", GUILD, B)
    await settle()
    jobs.tasks["a0"].cancel()
    await settle()
    assert jobs.started == ["a0", "b0"]
    await _drain(jobs)


async def test_an_admitted_job_given_up_before_it_runs_frees_its_place() -> None:
    # E.g. admitted, then refused for credits: release() without run().
    scheduler = FairScheduler(per_member=1, per_server=1, max_waiting_per_member=1)
    running = scheduler.admit(GUILD, A)
    waiting = scheduler.admit(GUILD, A)
    assert running.running and waiting.position == 1
    with pytest.raises(TooManyJobs):
        scheduler.admit(GUILD, A)
    scheduler.release(waiting)
    scheduler.release(waiting)  # twice is harmless
    scheduler.release(running)
    assert scheduler.counts(GUILD) == (0, 0)
    again = scheduler.admit(GUILD, A)
    assert again.running
    with pytest.raises(RuntimeError):
        async with scheduler.run(running):
            pass
    async with scheduler.run(again):
        pass
    assert scheduler.counts(GUILD) == (0, 0)


async def test_a_failing_position_callback_does_not_stop_the_job() -> None:
    scheduler = FairScheduler(per_member=1, per_server=1, max_waiting_per_member=5)
    first = scheduler.admit(GUILD, A)
    second = scheduler.admit(GUILD, B)

    async def broken(position: int) -> None:
        raise ConnectionError("Discord hiccup")

    ran = asyncio.Event()

    async def job(ticket: Ticket, callback: Callable[[int], Awaitable[None]]) -> None:
        async with scheduler.run(ticket, on_position=callback):
            ran.set()

    waiter = asyncio.create_task(job(second, broken))
    await settle()
    assert not ran.is_set()
    scheduler.release(first)
    await asyncio.wait_for(waiter, 5)
    assert ran.is_set()


def test_the_limit_message_counts_in_the_singular_too() -> None:
    scheduler = FairScheduler(per_member=1, per_server=1, max_waiting_per_member=0)
    scheduler.admit(GUILD, A)
    with pytest.raises(TooManyJobs) as refused:
        scheduler.admit(GUILD, A)
    assert refused.value.message == (
        "You have 1 image queued or running, the most allowed; wait for one to finish."
    )


async def test_jobs_stuck_in_one_lane_leave_the_other_lanes_of_the_server_free() -> None:
    # Six members' jobs hang at one provider and fill its lane of the server; a job for
    # another provider in the same server starts at once instead of queueing behind them.
    scheduler = FairScheduler(per_member=2, per_server=6, max_waiting_per_member=5)
    jobs = Jobs(scheduler)
    for user in range(100, 107):
        jobs.submit(f"hung{user}", GUILD, user, lane="onemin")
    other = jobs.submit("healthy", GUILD, A, lane="apiframe")
    await settle()
    assert "healthy" in jobs.started
    assert other.position == 0
    assert scheduler.counts(GUILD) == (7, 1)
    # The stuck lane still keeps its limit, and its queue counts only its own jobs.
    assert jobs.positions["hung106"] == [1]
    assert len([n for n in jobs.started if n.startswith("hung")]) == 6
    await _drain(jobs)
    assert scheduler.counts(GUILD) == (0, 0)


async def test_a_member_whose_lane_is_full_still_runs_a_job_of_another_lane() -> None:
    scheduler = FairScheduler(per_member=2, per_server=1, max_waiting_per_member=5)
    jobs = Jobs(scheduler)
    jobs.submit("b0", GUILD, B, lane="onemin")
    jobs.submit("a0", GUILD, A, lane="onemin")  # waits: the lane is full
    jobs.submit("a1", GUILD, A, lane="apiframe")
    await settle()
    assert jobs.started == ["b0", "a1"]
    assert jobs.peak[(GUILD, A)] == 1
    await jobs.finish("b0")
    assert jobs.started == ["b0", "a1", "a0"]
    await _drain(jobs)
