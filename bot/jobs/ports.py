"""The ports through which a job reaches the features it does not know.

Option sources contribute a layer of option values (a preset, a board's style, the
member's preferences), which the job resolves in SPEC's order; screens may refuse a
request before anything is charged, and turn a provider's moderation refusal into their
own answer; a keeper keeps what a job needs to survive a restart. Features offer them;
the services' wiring hands them to the job.

A source or screen declares what it reads of the database as a rule (`settings_rule`);
the job runs every port's rule and its own in one transaction, and hands each port what
its own rule returned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol, TypeVar

from bot.catalogue.resolve import Layer
from bot.errors import UserError
from bot.jobs.request import ImagineRequest, Progress, ReplyRef
from bot.jobs.resume import StoredImage
from bot.providers.base import GeneratedImage, InputImage, Submission
from bot.storage import Rule

# What a port read of the database for a job (None where it read nothing).
Found = TypeVar("Found")


class Slot(Enum):
    """Where a layer stands in SPEC's order of options (`bot.catalogue.resolve`)."""

    PRESET = "preset"
    BOARD = "board"
    PREFERENCES = "preferences"


@dataclass(frozen=True, slots=True)
class Contribution:
    """A source's layer and the slot it fills; `board`, the board's name as stored."""

    slot: Slot
    layer: Layer
    board: str | None = None


class OptionSource(Protocol[Found]):
    """Contributes option values to a request that is not frozen."""

    def settings_rule(self, request: ImagineRequest) -> Rule[Found] | None:
        """What this source reads for `request`, run in the job's one transaction (None:
        nothing). May raise a UserError (an unknown preset)."""
        ...

    async def contribute(self, request: ImagineRequest, found: Found | None
                         ) -> tuple[Contribution, ...]:
        """The layers this source adds to `request` (none when it has nothing to add);
        `found` is what its `settings_rule` read."""
        ...


class Screen(Protocol[Found]):
    """May refuse a resolved request before any charge and any provider call."""

    def settings_rule(self, request: ImagineRequest) -> Rule[Found] | None:
        """What this screen reads for `request`, run in the job's one transaction (None:
        nothing)."""
        ...

    async def screen(self, request: ImagineRequest, model: str, found: Found | None) -> None:
        """Raises a UserError when the request may not run; `found` is what its
        `settings_rule` read."""
        ...

    async def provider_refused(self, request: ImagineRequest, model: str, message: str
                               ) -> UserError | None:
        """The error to raise when a provider refused the request as moderated (`message`
        says so and that the credits are back), or None to leave the job's own answer."""
        ...


class KeptImage(Protocol):
    """A job's input image as a keeper kept it."""

    @property
    def data(self) -> bytes: ...


class Keeper(Protocol):
    """Told as a job is reserved, submitted to a provider and ends; keeps the input image
    that Reroll, Edit and Try again may need once Discord's link has expired."""

    def reserving(self, job_id: str, reply: ReplyRef | None,
                  image: InputImage | None) -> Rule[None] | None:
        """What to keep of the job, written in the transaction that reserves it (before
        any provider call: a restart may follow); None: nothing."""
        ...

    async def submitted(self, job_id: str, submission: Submission) -> bool:
        """A provider accepted the job; True when it is kept, so a restart resumes it."""
        ...

    async def submitted_image(self, job_id: str, image: StoredImage) -> bool:
        """A provider accepted one image of a job of several; True when it is kept."""
        ...

    async def drop_input(self, job_id: str) -> None:
        """Nothing runs from the job again: its input image is not kept."""
        ...

    async def stored_input(self, job_id: str) -> KeptImage | None:
        """The input image kept of job `job_id`, if any."""
        ...


class KeepNothing:
    """The keeper when nothing is kept: a restart refunds, and nothing is resumed."""

    def reserving(self, job_id: str, reply: ReplyRef | None,
                  image: InputImage | None) -> Rule[None] | None:
        """Keeps nothing."""
        return None

    async def submitted(self, job_id: str, submission: Submission) -> bool:
        """Keeps nothing."""
        return False

    async def submitted_image(self, job_id: str, image: StoredImage) -> bool:
        """Keeps nothing."""
        return False

    async def drop_input(self, job_id: str) -> None:
        """Nothing to drop."""

    async def stored_input(self, job_id: str) -> KeptImage | None:
        """Nothing kept."""
        return None


@dataclass(frozen=True, slots=True)
class ServerShared:
    """What a job reads of its server's admin settings with its own: whether it has a log
    channel (for the budget alerts) and the locale of its shared texts (the result's)."""

    log_channel: bool
    language: str


# The read of server `guild_id`'s log channel and language (bot.admin's), in the job's
# one transaction.
LogChannelRead = Callable[[int], Rule[ServerShared]]

ProgressCallback = Callable[[Progress], Awaitable[None]]
# Posts the images of job `job_id` (one message) with the member's balance after them;
# returns the message id.
Deliver = Callable[[str, Sequence[GeneratedImage], int], Awaitable[int]]
# Asks the member to confirm a job of `cost` credits (the str says what it is); True when
# they did.
Confirm = Callable[[int, str], Awaitable[bool]]


async def go_ahead(cost: int, what: str) -> bool:
    """The confirmation where nobody is asked (a moderator's approved appeal)."""
    return True


@dataclass(frozen=True, slots=True)
class JobUI:
    """The one object through which a running job reaches its member: `confirm` asks
    before a costly job is reserved, `progress` shows where the job is, `deliver` posts
    its images, `reply` answers after a restart."""

    progress: ProgressCallback
    deliver: Deliver
    reply: ReplyRef | None = None
    confirm: Confirm = go_ahead
