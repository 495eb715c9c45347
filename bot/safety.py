"""Where the safety_tolerance cap is decided and enforced (SPEC section 4).

Pure functions: the caps come from storage, the channel's age restriction from Discord,
`SFW_SAFETY_MAX` from the operator. How a provider's request is held under the cap is the
plan's (`bot.catalogue.plan.tolerance_for`), so no provider ever receives a value above it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.errors import UserError


class SafetyCapExceeded(UserError):
    """The user asked for more than the cap in force."""

    def __init__(self, requested: int, cap: int) -> None:
        super().__init__(
            f"`safety_tolerance` {requested} is above this channel's cap of {cap}. "
            f"Use {cap} or lower."
        )
        self.requested = requested
        self.cap = cap


@dataclass(frozen=True, slots=True)
class ChannelRules:
    """A channel as Discord has it now, for its cap: the channel whose cap applies (a
    thread's or forum post's parent) and whether that channel is age-restricted."""

    cap_channel_id: int
    age_restricted: bool


# Reads channel `channel_id` of server `guild_id` as it is now (the Discord side gives it).
ChannelLookup = Callable[[int, int], Awaitable[ChannelRules]]


async def not_age_restricted(guild_id: int, channel_id: int) -> ChannelRules:
    """The lookup where no Discord client is known: the channel's own cap, never above
    `SFW_SAFETY_MAX`."""
    return ChannelRules(channel_id, False)


def cap_in_force(
    *,
    server_cap: int,
    channel_cap: int | None,
    age_restricted: bool,
    sfw_max: int,
) -> int:
    """The highest tolerance allowed here: the channel's own cap, else the server's, and
    never above `SFW_SAFETY_MAX` outside an age-restricted channel."""
    cap = channel_cap if channel_cap is not None else server_cap
    if not age_restricted:
        cap = min(cap, sfw_max)
    return max(1, cap)


async def cap_in_channel(channels: ChannelLookup, guild_id: int, channel_id: int, *,
                         server_cap: int, channel_caps: Mapping[int, int], sfw_max: int
                         ) -> int:
    """The cap in force in channel `channel_id` of server `guild_id`, the channel read
    through `channels` as Discord has it now (a thread's cap is its parent's)."""
    channel = await channels(guild_id, channel_id)
    return cap_in_force(
        server_cap=server_cap,
        channel_cap=channel_caps.get(channel.cap_channel_id),
        age_restricted=channel.age_restricted,
        sfw_max=sfw_max,
    )


def check_requested(requested: int | None, cap: int) -> None:
    """Refuses a requested tolerance above the cap; never raises it silently."""
    if requested is not None and requested > cap:
        raise SafetyCapExceeded(requested, cap)
