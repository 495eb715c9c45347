"""Guilds and channels held by the Discord stand-in, and their API v10 JSON shapes.

Private module of :mod:`tests.support.standins.discord_api`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.support.standins.discord_models import (
    DEFAULT_FILESIZE_LIMIT,
    JSON,
    PREMIUM_FILESIZE_LIMITS,
    ApiError,
    Message,
    Perm,
    User,
    iso,
    snowflake_time,
)

if TYPE_CHECKING:
    from tests.support.standins.discord_state import StandInState


# Channel types (https://discord.com/developers/docs/resources/channel#channel-object-channel-types)
GUILD_TEXT, DM, GUILD_VOICE, GUILD_NEWS = 0, 1, 2, 5
NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD, GUILD_STAGE, GUILD_FORUM = 10, 11, 12, 13, 15
THREAD_TYPES = (NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)
# Where members can post messages (a forum takes posts, which are threads, not messages).
MESSAGE_TYPES = (GUILD_TEXT, DM, GUILD_VOICE, GUILD_NEWS, GUILD_STAGE, *THREAD_TYPES)


def wrong_channel_type() -> ApiError:
    return ApiError(400, 50024, "Cannot execute action on this channel type")


@dataclass(eq=False)
class Channel:
    id: int
    name: str
    guild: Guild | None
    type: int = GUILD_TEXT
    """0 = GUILD_TEXT, 1 = DM, 2 = GUILD_VOICE, 5 = GUILD_NEWS, 10/11/12 = threads,
    13 = GUILD_STAGE_VOICE, 15 = GUILD_FORUM."""
    nsfw: bool = False
    topic: str | None = None
    position: int = 0
    recipient: User | None = None
    parent: Channel | None = None
    """A thread's channel (a forum for a forum post)."""
    owner: User | None = None
    """Who started a thread."""
    archived: bool = False
    locked: bool = False
    bot_denied: int = 0
    """Permissions an overwrite takes from the bot here (a thread follows its parent)."""
    member_overwrites: dict[int, tuple[int, int]] = field(default_factory=dict)
    """Member overwrites here, user id -> (allow, deny), set with Guild.set_overwrite (a
    thread follows its parent)."""
    history: list[Message] = field(default_factory=list)
    """Every public message ever posted here (deleted ones flagged), oldest first."""

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    def bot_can(self, permissions: int) -> bool:
        """Whether the bot has every one of ``permissions`` here."""
        if self.guild is None:
            return True
        denied = (self.parent or self).bot_denied
        return self.guild.permissions_for(self.guild.bot) & ~denied & permissions == permissions

    def permissions_for(self, user: User) -> int:
        """``user``'s permissions here, as Discord computes them: the server's, then this
        channel's member overwrite (a thread's parent's); owners and administrators have all."""
        assert self.guild is not None
        perms = self.guild.permissions_for(user)
        if perms == Perm.ALL:
            return perms
        allow, deny = (self.parent or self).member_overwrites.get(user.id, (0, 0))
        return (perms & ~deny) | allow

    def check_bot_may(self, action: str) -> None:
        """Discord's answers to the bot reading ("read") or posting ("send") here."""
        if not self.bot_can(Perm.VIEW_CHANNEL):
            raise ApiError(403, 50001, "Missing Access")
        if self.type == GUILD_FORUM:  # a forum holds posts (threads), never messages
            raise wrong_channel_type()
        needed = Perm.SEND_MESSAGES_IN_THREADS if self.is_thread else Perm.SEND_MESSAGES
        if action == "send" and not self.bot_can(needed):
            raise ApiError(403, 50013, "Missing Permissions")

    @property
    def messages(self) -> list[Message]:
        """Public messages now in the channel, oldest first (ephemeral ones never appear here)."""
        return [m for m in self.history if not m.deleted]

    @property
    def last_message(self) -> Message | None:
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def payload(self, permissions: int | None = None) -> JSON:
        last = self.last_message
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "last_message_id": str(last.id) if last else None,
            "flags": 0,
        }
        if self.guild is None:
            data["recipients"] = [self.recipient.payload()] if self.recipient else []
        elif self.is_thread:
            data.update(self._thread_fields())
        else:
            data.update(
                guild_id=str(self.guild.id),
                name=self.name,
                position=self.position,
                permission_overwrites=self._overwrites(),
                nsfw=self.nsfw,
                topic=self.topic,
                parent_id=None,
                rate_limit_per_user=0,
            )
            if self.type in (GUILD_VOICE, GUILD_STAGE):
                data.update(bitrate=64000, user_limit=0, rtc_region=None)
            if self.type == GUILD_FORUM:
                data.update(
                    available_tags=[],
                    default_reaction_emoji=None,
                    default_sort_order=None,
                    default_forum_layout=0,
                    default_thread_rate_limit_per_user=0,
                )
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data

    def _overwrites(self) -> list[JSON]:
        if self.guild is None:
            return []
        overwrites = [{"id": str(user_id), "type": 1, "allow": str(allow), "deny": str(deny)}
                      for user_id, (allow, deny) in self.member_overwrites.items()
                      if user_id != self.guild.bot.id]
        if self.bot_denied:
            overwrites.append({"id": str(self.guild.bot.id), "type": 1, "allow": "0",
                               "deny": str(self.bot_denied)})
        return overwrites

    def _thread_fields(self) -> JSON:
        assert self.guild is not None and self.parent is not None
        created = iso(snowflake_time(self.id))
        return {
            "guild_id": str(self.guild.id),
            "parent_id": str(self.parent.id),
            "owner_id": str((self.owner or self.guild.bot).id),
            "name": self.name,
            "rate_limit_per_user": 0,
            "message_count": len(self.messages),
            "total_message_sent": len(self.history),
            "member_count": 1,
            "thread_metadata": {
                "archived": self.archived,
                "auto_archive_duration": 1440,
                "archive_timestamp": created,
                "locked": self.locked,
                "create_timestamp": created,
            },
        }


@dataclass(eq=False)
class Guild:
    id: int
    name: str
    owner: User
    bot: User
    state: StandInState = field(repr=False)
    premium_tier: int = 0
    features: list[str] = field(default_factory=list)
    filesize_limit_override: int | None = None
    bot_permissions: int = Perm.DEFAULT_BOT
    locale: str = "en-US"
    channels: list[Channel] = field(default_factory=list)
    threads: list[Channel] = field(default_factory=list)
    permission_overrides: dict[int, int] = field(default_factory=dict)
    bot_role_id: int = 0
    _perm_roles: dict[int, int] = field(default_factory=dict)
    named_roles: dict[int, str] = field(default_factory=dict)
    """Roles made with add_role (no permissions), by id."""
    held_roles: dict[int, list[int]] = field(default_factory=dict)
    """The named roles each user holds, by user id."""

    def add_channel(
        self, name: str, *, nsfw: bool = False, topic: str | None = None, type: int = GUILD_TEXT
    ) -> Channel:
        """Create a channel, text by default (sends CHANNEL_CREATE to connected clients)."""
        if type in (DM, *THREAD_TYPES):
            raise ValueError("use dm_channel() for DMs and add_thread() for threads")
        channel = Channel(
            self.state.new_id(),
            name,
            self,
            type=type,
            nsfw=nsfw,
            topic=topic,
            position=len(self.channels),
        )
        self.channels.append(channel)
        self.state.channels[channel.id] = channel
        self.state.dispatch("CHANNEL_CREATE", channel.payload(), intent=1 << 0)
        self.state.changed()
        return channel

    def rename(self, name: str) -> None:
        """Rename the server, as its owner does in its settings (sends GUILD_UPDATE)."""
        self.name = name
        self.state.dispatch("GUILD_UPDATE", self.payload(), intent=1 << 0)
        self.state.changed()

    def set_nsfw(self, channel: Channel, nsfw: bool) -> None:
        """Turn a channel's age restriction on or off, as a moderator does in its settings
        (sends CHANNEL_UPDATE; a thread follows its parent, as on Discord)."""
        if channel.guild is not self or channel.is_thread:
            raise ValueError(f"#{channel.name} is not a channel of this guild")
        channel.nsfw = nsfw
        self.state.dispatch("CHANNEL_UPDATE", channel.payload(), intent=1 << 0)
        self.state.changed()

    def add_forum(self, name: str, *, nsfw: bool = False) -> Channel:
        """Create a forum channel (type 15): members post threads in it, not messages."""
        return self.add_channel(name, nsfw=nsfw, type=GUILD_FORUM)

    def add_thread(
        self,
        parent: Channel,
        name: str,
        *,
        owner: User | None = None,
        type: int | None = None,
        thread_id: int | None = None,
    ) -> Channel:
        """A thread of ``parent`` started by ``owner`` (a post when ``parent`` is a forum);
        sends THREAD_CREATE. ``thread_id`` is the starter message's id for a message thread."""
        if parent.guild is not self or parent.is_thread or parent.type == DM:
            raise ValueError(f"#{parent.name} cannot have threads")
        if type is None:
            type = NEWS_THREAD if parent.type == GUILD_NEWS else PUBLIC_THREAD
        if type not in THREAD_TYPES or (parent.type == GUILD_FORUM and type != PUBLIC_THREAD):
            raise ValueError(f"thread type {type} is not valid in channel type {parent.type}")
        thread = Channel(
            thread_id or self.state.new_id(), name, self, type=type, parent=parent, owner=owner
        )
        self.state.channels[thread.id] = thread
        self.threads.append(thread)
        payload = {**thread.payload(), "newly_created": True}
        self.state.dispatch("THREAD_CREATE", payload, intent=1 << 0)
        self.state.changed()
        return thread

    def set_archived(self, thread: Channel, archived: bool = True, *, locked: bool = False) -> None:
        """Archive (or unarchive) a thread, as its auto-archive or a moderator does."""
        if not thread.is_thread:
            raise ValueError(f"#{thread.name} is not a thread")
        thread.archived, thread.locked = archived, locked and archived
        self.state.dispatch("THREAD_UPDATE", thread.payload(), intent=1 << 0)
        self.state.changed()

    def delete_thread(self, thread: Channel) -> None:
        """Delete a thread (or forum post), as a member or moderator does: THREAD_DELETE,
        and every later request to it is answered 404 / 10003 (Unknown Channel)."""
        if not thread.is_thread or thread not in self.threads:
            raise ValueError(f"#{thread.name} is not a thread of this guild")
        assert thread.parent is not None
        self.threads.remove(thread)
        del self.state.channels[thread.id]
        payload = {"id": str(thread.id), "guild_id": str(self.id),
                   "parent_id": str(thread.parent.id), "type": thread.type}
        self.state.dispatch("THREAD_DELETE", payload, intent=1 << 0)

    def add_role(self, name: str) -> int:
        """A role with no permissions (sends GUILD_ROLE_CREATE); returns its id."""
        role_id = self.state.new_id()
        self.named_roles[role_id] = name
        role = next(r for r in self.role_payloads() if r["id"] == str(role_id))
        self.state.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": role},
                            intent=1 << 0)
        self.state.changed()
        return role_id

    def give_role(self, user: User, role_id: int, held: bool = True) -> None:
        """Gives ``user`` a role made with add_role (or, ``held=False``, takes it away); the
        next interactions carry it in the member's roles."""
        roles = self.held_roles.setdefault(user.id, [])
        if held and role_id not in roles:
            roles.append(role_id)
        elif not held and role_id in roles:
            roles.remove(role_id)
        self.state.changed()

    def set_overwrite(self, channel: Channel, user: User, *, allow: int = 0, deny: int = 0
                      ) -> None:
        """A member overwrite on ``channel`` (a text or forum channel; its threads follow it),
        as a moderator sets in the channel's settings; sends CHANNEL_UPDATE."""
        if channel.guild is not self or channel.is_thread:
            raise ValueError(f"#{channel.name} takes no overwrites here")
        if allow or deny:
            channel.member_overwrites[user.id] = (allow, deny)
        else:
            channel.member_overwrites.pop(user.id, None)
        self.state.dispatch("CHANNEL_UPDATE", channel.payload(), intent=1 << 0)
        self.state.changed()

    def set_permissions(self, user: User, permissions: int) -> None:
        """Set the extra permissions ``user`` has in this guild (overrides ``User.permissions``)."""
        self.permission_overrides[user.id] = permissions
        self.state.changed()

    @property
    def members(self) -> list[User]:
        return [self.bot, *self.state.users.values()]

    @property
    def filesize_limit(self) -> int:
        if self.filesize_limit_override is not None:
            return self.filesize_limit_override
        return PREMIUM_FILESIZE_LIMITS.get(self.premium_tier, DEFAULT_FILESIZE_LIMIT)

    def extra_permissions(self, user: User) -> int:
        if user is self.bot:
            return self.bot_permissions
        return self.permission_overrides.get(user.id, user.permissions)

    def permissions_for(self, user: User) -> int:
        """Total permissions, as in an interaction's ``member.permissions`` (no overwrites here)."""
        perms = Perm.EVERYONE | self.extra_permissions(user)
        if user is self.owner or perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        return perms

    def _role_for(self, user: User) -> int | None:
        if user is self.bot:
            return self.bot_role_id
        extra = self.extra_permissions(user)
        if not extra:
            return None
        if extra not in self._perm_roles:
            role_id = self._perm_roles[extra] = self.state.new_id()
            # Announced as Discord announces a new role: a client computing a member's
            # permissions in a channel (its roles, then the overwrites) needs it.
            role = next(r for r in self.role_payloads() if r["id"] == str(role_id))
            self.state.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": role},
                                intent=1 << 0)
        return self._perm_roles[extra]

    def role_payloads(self) -> list[JSON]:
        def role(role_id: int, name: str, perms: int, position: int, **extra: Any) -> JSON:
            return {
                "id": str(role_id),
                "name": name,
                "permissions": str(perms),
                "position": position,
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "icon": None,
                "unicode_emoji": None,
                "flags": 0,
                **extra,
            }

        for user in self.members:
            self._role_for(user)
        roles = [role(self.id, "@everyone", Perm.EVERYONE, 0)]
        roles.append(
            role(
                self.bot_role_id,
                self.bot.username,
                self.bot_permissions,
                1,
                managed=True,
                tags={"bot_id": str(self.bot.id)},
            )
        )
        for index, (perms, role_id) in enumerate(self._perm_roles.items(), start=2):
            roles.append(role(role_id, f"perms-{perms:x}", perms, index))
        start = len(roles)
        for index, (role_id, name) in enumerate(self.named_roles.items(), start=start):
            roles.append(role(role_id, name, 0, index))
        return roles

    def member_payload(
        self, user: User, *, with_user: bool = True, with_permissions: bool = False
    ) -> JSON:
        role_id = self._role_for(user)
        held = [str(r) for r in self.held_roles.get(user.id, [])]
        data: JSON = {
            "roles": ([str(role_id)] if role_id else []) + held,
            "nick": None,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "pending": False,
            "joined_at": iso(snowflake_time(self.id)),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = user.payload()
        if with_permissions:
            data["permissions"] = str(self.permissions_for(user))
        return data

    def payload(self) -> JSON:
        """The REST guild object (GET /guilds/{id})."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner.id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": self.role_payloads(),
            "emojis": [],
            "stickers": [],
            "features": list(self.features),
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(self.channels[0].id) if self.channels else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": self.premium_tier,
            "premium_subscription_count": [0, 2, 7, 14][self.premium_tier]
            if self.premium_tier in range(4)
            else 0,
            "preferred_locale": self.locale,
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "nsfw": False,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
        }

    def gateway_payload(self, *, all_members: bool) -> JSON:
        """The GUILD_CREATE payload; without the GUILD_MEMBERS intent only the bot's member."""
        members = self.members if all_members else [self.bot]
        return {
            **self.payload(),
            "joined_at": iso(snowflake_time(self.id)),
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(self.members),
            "voice_states": [],
            "presences": [],
            "threads": [t.payload() for t in self.threads if not t.archived],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "incidents_data": None,
            "members": [self.member_payload(m) for m in members],
            "channels": [c.payload() for c in self.channels],
        }
