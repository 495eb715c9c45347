"""How a message names a member, a channel, a role or a moment: Discord's own markup,
filled into a translated sentence as a placeholder's value (never part of its text)."""

from __future__ import annotations


def member(user_id: int) -> str:
    """`<@id>`: the member, as each reader's client shows them."""
    return f"<@{user_id}>"


def channel(channel_id: int) -> str:
    """`<#id>`: a channel or thread, as a link."""
    return f"<#{channel_id}>"


def role(role_id: int) -> str:
    """`<@&id>`: a role."""
    return f"<@&{role_id}>"


def relative(timestamp: float) -> str:
    """`<t:…:R>`: "in 3 hours", in each reader's language and zone."""
    return f"<t:{int(timestamp)}:R>"


def percent(share: int) -> str:
    """`80 %`."""
    return f"{share} %"
