"""The benchmark's world: the Discord and provider stand-ins on 127.0.0.1, one server with
its members, and the clock readings every figure is computed from.

A fresh `World` is made for each measured client (the bot, the floor), so that neither
sees the other's gateway session, messages or provider jobs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.support.standins.discord_api import Channel, DiscordStandIn, Guild, Message, User
from tests.support.standins.discord_interactions import new_interaction
from tests.support.standins.discord_payloads import command_data
from tests.support.standins.images import sized_noise_image
from tests.support.standins.providers import ProviderStandIns

log = logging.getLogger(__name__)

MODELS = ("flux-1.1-pro", "flux-pro", "flux-2-pro", "flux-dev")
# The formats the providers answer with when the request names none (what the bot sends).
RESULT_FORMATS = ("png", "webp", "jpg")


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One /imagine: who asks, for what. The prompt is unique: it ties the provider
    requests the stand-ins saw to the job."""

    index: int
    member: int
    model: str
    prompt: str
    seed: int


def job_specs(phase: str, count: int, members: int, start: int = 0) -> list[JobSpec]:
    """`count` jobs over `members` members, the four models in turn."""
    return [
        JobSpec(
            index=i,
            member=i % members,
            model=MODELS[i % len(MODELS)],
            prompt=f"bench {phase} job {i:05d}: a lighthouse at dusk, watercolour",
            seed=1000 + i,
        )
        for i in range(start, start + count)
    ]


class ResultWatch:
    """Notes when each interaction's public image message is stored in the stand-in.

    The stand-in publishes every stored public message through its state's `dispatch`
    (MESSAGE_CREATE, or MESSAGE_UPDATE when a followup fills a deferred original in), so
    wrapping it gives the exact moment, with no polling.
    """

    def __init__(self, discord: DiscordStandIn) -> None:
        state = discord._state  # the stand-in has no public hook for "message stored"
        self._inner = state.dispatch
        state.dispatch = self._dispatch
        self.stored: dict[int, float] = {}  # interaction id -> time.monotonic()
        self.messages: dict[int, Message] = {}
        self._wanted: set[int] = set()
        self._all_stored = asyncio.Event()

    def _dispatch(self, event: str, data: Any, **kwargs: Any) -> int:
        message: Message | None = kwargs.get("message")
        if (
            message is not None
            and event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
            and message.attachments
            and not message.ephemeral
            and message.interaction_metadata
        ):
            interaction_id = int(message.interaction_metadata["id"])
            if interaction_id not in self.stored:
                self.stored[interaction_id] = time.monotonic()
                self.messages[interaction_id] = message
                self._wanted.discard(interaction_id)
                if not self._wanted:
                    self._all_stored.set()
        return self._inner(event, data, **kwargs)

    async def wait_for(self, interaction_ids: Sequence[int], timeout: float) -> None:  # noqa: ASYNC109
        """Waits until every one of the interactions has its image posted."""
        self._wanted = {i for i in interaction_ids if i not in self.stored}
        self._all_stored = asyncio.Event()
        if not self._wanted:
            return
        try:
            await asyncio.wait_for(self._all_stored.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{len(self._wanted)} of {len(interaction_ids)} jobs posted no image "
                f"within {timeout:g} s"
            ) from None


class World:
    """The stand-ins, a server with one channel and its members, and a ResultWatch."""

    def __init__(self, *, members: int, image_bytes: int) -> None:
        self.discord = DiscordStandIn()
        self.providers = ProviderStandIns(image_bytes=image_bytes)
        # Zero latency: an apiframe job is finished when it is first polled.
        self.providers.apiframe.polls_to_complete = 1
        self.watch = ResultWatch(self.discord)
        self.image_bytes = image_bytes
        self._member_count = members
        self.guild: Guild | None = None
        self.channel: Channel | None = None
        self.members: list[User] = []
        self.warmup_user: User | None = None

    async def start(self) -> World:
        for fmt in RESULT_FORMATS:  # made now, so serving them costs the stand-ins nothing
            await asyncio.to_thread(sized_noise_image, self.image_bytes, fmt)
        await self.discord.start()
        await self.providers.start()
        # 25 MB: roomy, so a ~1 MB image is never re-encoded to fit.
        self.guild = self.discord.add_guild("Bench", filesize_limit=25 * 1024 * 1024)
        self.channel = self.guild.add_channel("general")
        self.members = [self.discord.add_user(f"member{i:03d}") for i in range(self._member_count)]
        self.warmup_user = self.discord.add_user("warmup")
        return self

    async def stop(self) -> None:
        await self.discord.stop()
        await self.providers.close()

    def problems(self) -> list[str]:
        """What went wrong on the stand-ins' side: contract violations, unknown routes,
        stand-in bugs, 429s."""
        found = list(self.providers.violations)
        found += [f"discord: unknown route {r.method} {r.path}" for r in
                  self.discord.unknown_requests]
        found += [f"discord: stand-in error {e}" for e in self.discord.internal_errors]
        found += [f"discord: 429 on {r.method} {r.path}" for r in self.discord.rate_limited]
        return found

    async def register_commands(self, payloads: list[dict[str, Any]]) -> None:
        """Registers slash commands through the REST API, as a bot would (for the floor,
        which has no command tree of its own)."""
        url = f"{self.discord.api_base}/applications/{self.discord.application_id}/commands"
        headers = {"Authorization": f"Bot {self.discord.token}"}
        async with aiohttp.ClientSession() as http, http.put(
            url, json=payloads, headers=headers
        ) as response:
            response.raise_for_status()

    async def dispatch(self, jobs: Sequence[JobSpec], *, warmup: bool = False) -> list[int]:
        """Sends the jobs' /imagine interactions over the gateway at once; returns the
        interaction ids in job order.

        The payloads are built first (what `DiscordStandIn.slash` does), then dispatched
        back to back, so that they leave together: the dispatch times, from which the
        latencies count, are then within a few milliseconds of each other.
        """
        assert self.channel is not None and self.warmup_user is not None
        state = self.discord._state
        built = []
        for job in jobs:
            user = self.warmup_user if warmup else self.members[job.member]
            options = {"prompt": job.prompt, "model": job.model, "seed": job.seed}
            data = command_data(state, self.channel, user, "imagine", (), options)
            built.append(new_interaction(state, 2, self.channel, user, data))
        for ix in built:
            self.discord._dispatch(ix)
        return [ix.id for ix in built]

    async def quiesce(self, quiet: float = 0.15, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Waits until the client has made no Discord request for `quiet` seconds (the
        bot's last progress edits after its results)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = -1
        while loop.time() < deadline:
            count = len(self.discord.requests) + sum(len(p.requests) for p in
                                                     self.providers.all)
            if count == seen:
                return
            seen = count
            await asyncio.sleep(quiet)
