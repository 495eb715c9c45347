"""Jobs in flight per member and per server, and the fair queue past them (SPEC section 5).

In memory: a restart empties the queue (what was reserved is settled or refunded at
start, see bot/credits.py). Each server has its own slots and its own rotation of the
members waiting there; direct messages (guild 0) share one. The next free slot goes to
the member who has waited longest for a turn, so one member's ten jobs do not starve
another's one. Provider concurrency and 429 back-off belong to the provider router.

A server's slots are counted per lane (the first provider of the job's route): jobs
stuck on a hung provider fill only that provider's lane, so a job for another provider
in the same server still starts at once (SPEC section 5). The per-member limit counts
every lane together.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.errors import UserError
from bot.i18n import trn

log = logging.getLogger(__name__)

PositionCallback = Callable[[int], Awaitable[object]]


class TooManyJobs(UserError):
    """The member already has as many jobs running and waiting as allowed."""

    def __init__(self, count: int, limit: int) -> None:
        self.count = count
        self.limit = limit
        super().__init__(trn("You have {n} image queued or running, the most allowed; "
                             "wait for one to finish.",
                             "You have {n} images queued or running, the most allowed; "
                             "wait for one to finish.", count))


class _State(enum.Enum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"


class Ticket:
    """A job's place in the scheduler, from `admit` to the end of `run` (or `release`)."""

    __slots__ = ("_state", "_wake", "guild_id", "lane", "number", "position", "size",
                 "user_id")

    def __init__(self, guild_id: int, user_id: int, number: int, lane: str = "",
                 size: int = 1) -> None:
        self.guild_id = guild_id
        self.user_id = user_id
        self.number = number
        self.lane = lane
        # Images in the job: each counts against the member's limit.
        self.size = size
        # 0 while running (or done); from 1 while waiting.
        self.position = 0
        self._state = _State.WAITING
        self._wake = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._state is _State.RUNNING

    def __repr__(self) -> str:
        return (f"<Ticket {self.number} guild={self.guild_id} user={self.user_id} "
                f"lane={self.lane!r} {self._state.value} position={self.position}>")


@dataclass(slots=True)
class _Member:
    running: int = 0
    waiting: deque[Ticket] = field(default_factory=deque)


@dataclass(slots=True)
class _Server:
    # Running jobs per lane; a lane without running jobs has no entry.
    running: dict[str, int] = field(default_factory=dict)
    members: dict[int, _Member] = field(default_factory=dict)
    # Members with waiting tickets, the next to be served first.
    rotation: deque[int] = field(default_factory=deque)


class FairScheduler:
    """Admits jobs and runs them within per-member and per-server-lane limits, round-robin."""

    def __init__(self, per_member: int = 2, per_server: int = 6,
                 max_waiting_per_member: int = 5) -> None:
        if min(per_member, per_server) < 1 or max_waiting_per_member < 0:
            raise ValueError("limits must be at least 1 (waiting: at least 0)")
        self.per_member = per_member
        self.per_server = per_server
        self.max_waiting_per_member = max_waiting_per_member
        self._servers: dict[int, _Server] = {}
        self._numbers = itertools.count(1)

    def admit(self, guild_id: int, user_id: int, lane: str = "", size: int = 1) -> Ticket:
        """Queues a job of `size` images for the member in the server's `lane`, or raises
        TooManyJobs.

        The ticket counts against the member's limit from now on: pass it to `run`, or
        to `release` if the job is abandoned before it runs.
        """
        server = self._servers.setdefault(guild_id, _Server())
        member = server.members.setdefault(user_id, _Member())
        count = member.running + sum(t.size for t in member.waiting)
        limit = self.per_member + self.max_waiting_per_member
        # A job alone may be bigger than the limit (it then runs by itself).
        if count and count + size > limit:
            raise TooManyJobs(count, limit)
        ticket = Ticket(guild_id, user_id, next(self._numbers), lane, size)
        member.waiting.append(ticket)
        if user_id not in server.rotation:
            server.rotation.append(user_id)
        self._update(server)
        return ticket

    def counts(self, guild_id: int) -> tuple[int, int]:
        """Jobs (running, waiting) in the server, every lane together."""
        server = self._servers.get(guild_id)
        if server is None:
            return 0, 0
        return sum(server.running.values()), sum(len(m.waiting) for m in server.members.values())

    @asynccontextmanager
    async def run(self, ticket: Ticket, on_position: PositionCallback | None = None
                  ) -> AsyncIterator[None]:
        """Waits for the ticket's turn, then holds its slot until the block exits.

        `on_position(n)` is awaited whenever the waiting position changes (n >= 1), then
        with 0 when the job starts. Cancelled while waiting, the ticket leaves the queue.
        """
        if ticket._state is _State.DONE:
            raise RuntimeError(f"{ticket!r} was already run or released")
        try:
            await self._wait(ticket, on_position)
        except BaseException:
            self.release(ticket)
            raise
        try:
            yield
        finally:
            self.release(ticket)

    def release(self, ticket: Ticket) -> None:
        """Frees the ticket's slot or queue place; a no-op the second time."""
        if ticket._state is _State.DONE:
            return
        server = self._servers[ticket.guild_id]
        member = server.members[ticket.user_id]
        if ticket._state is _State.RUNNING:
            member.running -= ticket.size
            server.running[ticket.lane] -= 1
            if not server.running[ticket.lane]:
                del server.running[ticket.lane]
        else:
            member.waiting.remove(ticket)
            if not member.waiting:
                server.rotation.remove(ticket.user_id)
        ticket._state = _State.DONE
        ticket.position = 0
        if member.running == 0 and not member.waiting:
            del server.members[ticket.user_id]
        self._update(server)
        if not server.members:
            del self._servers[ticket.guild_id]

    async def _wait(self, ticket: Ticket, on_position: PositionCallback | None) -> None:
        reported: int | None = None
        while ticket._state is _State.WAITING:
            ticket._wake.clear()
            if on_position is not None and ticket.position != reported:
                reported = ticket.position
                await _report(on_position, reported)
                continue  # the queue may have moved during the callback
            await ticket._wake.wait()
        if on_position is not None:
            await _report(on_position, 0)

    def _update(self, server: _Server) -> None:
        """Starts what the free slots allow, in rotation order, then renumbers the queue."""
        while (ticket := self._next(server)) is not None:
            member = server.members[ticket.user_id]
            member.waiting.remove(ticket)
            member.running += ticket.size
            server.running[ticket.lane] = server.running.get(ticket.lane, 0) + 1
            ticket._state = _State.RUNNING
            ticket.position = 0
            ticket._wake.set()
            # Served: to the back of the rotation, or out of it when nothing else waits.
            server.rotation.remove(ticket.user_id)
            if member.waiting:
                server.rotation.append(ticket.user_id)
        self._renumber(server)

    def _next(self, server: _Server) -> Ticket | None:
        """The first waiting ticket, in rotation order, whose member and lane have room.

        A member's tickets keep their order within a lane; one whose lane is full does
        not hold back the member's ticket for another lane.
        """
        for user_id in server.rotation:
            member = server.members[user_id]
            if member.running >= self.per_member:
                continue
            for ticket in member.waiting:
                if member.running and member.running + ticket.size > self.per_member:
                    break  # a job of several images waits for room; none overtakes it
                if server.running.get(ticket.lane, 0) < self.per_server:
                    return ticket
        return None

    @staticmethod
    def _renumber(server: _Server) -> None:
        # The order the round-robin would serve the queue in: each member's first waiting
        # job in rotation order, then each one's second, and so on; numbered within the
        # ticket's lane, since only jobs of its own lane stand before it.
        queues = [server.members[u].waiting for u in server.rotation]
        positions: dict[str, int] = {}
        for depth in itertools.count():
            queues = [q for q in queues if len(q) > depth]
            if not queues:
                break
            for queue in queues:
                ticket = queue[depth]
                position = positions[ticket.lane] = positions.get(ticket.lane, 0) + 1
                if ticket.position != position:
                    ticket.position = position
                    ticket._wake.set()


async def _report(callback: PositionCallback, position: int) -> None:
    # A failed progress message must not fail or stall the job itself.
    try:
        await callback(position)
    except Exception:
        log.warning("position callback failed", exc_info=True)
