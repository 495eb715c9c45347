"""Moderation over storage: the check every prompt passes before any charge or provider
call, the strikes it records, and what moderators do (blocklist, pardon, block, review).

The rules themselves are pure (`blocklist`, `strikes`); this module loads a member's rows
for them in one read, writes what follows, and reports each action through `on_event`
(see `report_with`). A refused prompt is stored for the review channel and never put in an event.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot import mentions
from bot.errors import UserError
from bot.i18n import join, tr, trn
from bot.moderation import store
from bot.moderation.blocklist import Blocklist, Entry, check, parse_entry
from bot.moderation.events import AdminEvent, admin_event
from bot.moderation.refusal import ModerationRefusal, Subject
from bot.moderation.store import (
    AppealRow,
    AppealState,
    StandingRow,
    StrikeKind,
    StrikeRow,
)
from bot.moderation.strikes import (
    Block,
    Blocked,
    CoolingDown,
    MemberRecord,
    Policy,
    Strike,
    appeal_allowance,
    discord_time,
    recent_strikes,
    standing,
)
from bot.storage import Rule, Store, Transaction

log = logging.getLogger(__name__)

# Each server's own entries: enough for any list, and a bound on what a server can store.
MAX_SERVER_ENTRIES = 2000
# A server list of up to this many words and phrases is built on the event loop (about
# 0.1 ms); a longer one, or one with a regex (about 3 ms each to compile), in a thread.
BUILT_ON_LOOP = 50
# How many servers' lists are kept built, those screened last.
SERVER_LISTS_KEPT = 1000


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class MemberReport:
    """What `/moderation strikes` shows."""

    record: MemberRecord
    now: datetime
    policy: Policy

    @property
    def recent(self) -> list[Strike]:
        return recent_strikes(self.record, self.now, self.policy)

    def describe(self, mention: str) -> str:
        lines: list[str] = []
        state = standing(self.record, self.now, self.policy)
        if isinstance(state, Blocked):
            lines.append(tr("{member} is blocked: {reason}.", member=mention,
                            reason=mentions.typed(state.reason)) if state.reason else
                         tr("{member} is blocked.", member=mention))
        elif isinstance(state, CoolingDown):
            lines.append(tr("{member} is cooling down until {when}.", member=mention,
                            when=discord_time(state.until)))
        recent = self.recent
        lines.append(trn("{member} has {n} strike in the last 24 hours ({cooldown} start a "
                         "cooldown).",
                         "{member} has {n} strikes in the last 24 hours ({cooldown} start a "
                         "cooldown).", len(recent), member=mention,
                         cooldown=self.policy.strikes_before_cooldown))
        for strike in recent[-10:]:
            lines.append(f"- {discord_time(strike.at)}: {strike.kind}, "
                         f"{mentions.typed(strike.reason)}")
        return join(lines, "\n")


class Moderation:
    """Moderation of one bot, over one `Store`. `clock` gives epoch seconds."""

    def __init__(self, db: Store, policy: Policy, operator: Blocklist, *,
                 clock: Callable[[], float] = time.time,
                 on_event: AdminEvent = admin_event) -> None:
        self._db = db
        self.policy = policy
        self.operator = operator
        self._clock = clock
        self._on_event = on_event
        self._standby = on_event
        # Each server's list, rebuilt only when its stored entries change; the servers
        # screened last are kept (a list of many patterns takes megabytes).
        self._lists: OrderedDict[int, tuple[tuple[str, ...], asyncio.Future[Blocklist]]] = (
            OrderedDict())

    def report_with(self, on_event: AdminEvent | None) -> None:
        """Reports each action through `on_event` from now on (the Discord side's log
        channel poster); None goes back to the one given at construction."""
        self._on_event = on_event or self._standby

    # -- the check -----------------------------------------------------------------------

    async def screen(self, subject: Subject, loaded: ScreenRows | None = None) -> None:
        """Raises ModerationRefusal when the member may not generate here (blocked,
        cooling down) or the prompt is on a blocklist; a blocklist hit is a strike.
        `loaded` is what `screen_rule` read, when the caller read it already."""
        guild = subject.guild_id
        if loaded is None:
            loaded = await self._db.read(screen_rule(guild, subject.user_id))
        entries, record, review = loaded
        now = self._clock()
        state = standing(record, _dt(now), self.policy)
        if isinstance(state, Blocked | CoolingDown):
            raise ModerationRefusal(state.message)
        if not subject.check_blocklist:
            return
        hit = check(subject.prompt, (self.operator, await self._server_list(guild, entries)))
        if hit is None:
            return
        if hit.timed_out:  # not known to match: no strike, nothing to appeal
            raise ModerationRefusal(hit.message)
        struck = await self._strike(subject, "blocklist", hit.term, record, now)
        raise ModerationRefusal(hit.message + struck.note, strike_id=struck.strike_id,
                                appealable=self._appeals_open(review))

    async def provider_refused(self, subject: Subject, message: str) -> ModerationRefusal:
        """Records the strike for a prompt a provider refused as moderated; returns the
        refusal to raise, `message` first."""
        guild, user = subject.guild_id, subject.user_id

        async def load(tx: Transaction) -> tuple[MemberRecord, int | None]:
            return await _record(tx, guild, user), await store.review_channel(tx, guild)

        record, review = await self._db.read(load)
        struck = await self._strike(subject, "provider", "the provider's content policy",
                                    record, self._clock())
        return ModerationRefusal(message + struck.note, strike_id=struck.strike_id,
                                 appealable=self._appeals_open(review))

    def _appeals_open(self, review_channel: int | None) -> bool:
        return review_channel is not None and self.policy.appeals_per_day > 0

    async def _server_list(self, guild_id: int, entries: list[str]) -> Blocklist:
        """The server's list as `entries` stores it. A long one is built in a thread: a
        list of 2,000 patterns takes seconds to compile, which no other server's member
        waits for; the screens that need it meanwhile share the one build."""
        key = tuple(entries)
        cached = self._lists.get(guild_id)
        if cached is None or cached[0] != key:
            building: asyncio.Future[Blocklist]
            if len(entries) <= BUILT_ON_LOOP and not any(e.startswith("/") for e in entries):
                building = asyncio.get_running_loop().create_future()
                building.set_result(Blocklist.from_stored(entries, source="server"))
            else:
                building = asyncio.ensure_future(
                    asyncio.to_thread(Blocklist.from_stored, entries, source="server"))
            cached = self._lists[guild_id] = (key, building)
        self._lists.move_to_end(guild_id)
        while len(self._lists) > SERVER_LISTS_KEPT:
            self._lists.popitem(last=False)
        built = cached[1]
        try:
            return built.result() if built.done() else await asyncio.shield(built)
        except Exception:
            if self._lists.get(guild_id) is cached:
                del self._lists[guild_id]  # built again at the next screen, not kept failed
            raise

    async def _strike(self, subject: Subject, kind: StrikeKind, reason: str,
                      record: MemberRecord, now: float) -> _Struck:
        row = StrikeRow(secrets.token_hex(16), subject.guild_id, subject.user_id,
                        subject.channel_id, kind, reason, subject.prompt,
                        {**subject.request, "model": subject.model}, now)
        await self._db.write(lambda tx: store.add_strike(tx, row))
        after = MemberRecord([*record.strikes, Strike(_dt(now), kind, reason, subject.prompt)],
                             record.pardoned_at, record.block, record.appeals)
        state = standing(after, _dt(now), self.policy)
        member = f"<@{subject.user_id}>"
        await self._on_event(subject.guild_id, tr(
            "Strike for {member}: a prompt refused by the blocklist entry `{entry}`.",
            member=member, entry=mentions.in_code(reason, 200)) if kind == "blocklist" else tr(
            "Strike for {member}: a prompt refused by {what}.", member=member,
            what=mentions.typed(reason)))
        note = ""
        if isinstance(state, CoolingDown):
            note = " " + state.message
            await self._on_event(subject.guild_id,
                                tr("{member} is cooling down until {when}.",
                                   member=member, when=discord_time(state.until)))
        return _Struck(row.id, note)

    # -- blocklist -----------------------------------------------------------------------

    async def add_entry(self, guild_id: int, raw: str, by: int) -> Entry:
        """Adds an entry to the server's list; raises UserError (EntryRefused) with why not.
        A regex is tried against hostile input off the event loop."""
        entry = await asyncio.to_thread(parse_entry, raw)

        async def add(tx: Transaction) -> bool:
            await tx.lock_guild(guild_id)  # two adds at once cannot both take the last place
            if len(await store.blocklist_entries(tx, guild_id)) >= MAX_SERVER_ENTRIES:
                raise UserError(tr("This server's blocklist is full: at most "
                                   "{max_server_entries} entries. Remove some with /moderation "
                                   "blocklist remove first.",
                                   max_server_entries=format(MAX_SERVER_ENTRIES, ',')))
            return await store.add_blocklist_entry(tx, guild_id, entry.key, entry.text, by,
                                                self._clock())

        if not await self._db.write(add):
            raise UserError(tr("`{shown}` is already on this server's blocklist.",
                               shown=mentions.in_code(entry.text, 200)))
        await self._on_event(guild_id, tr("{admin} added `{entry}` to the blocklist.",
                                          admin=mentions.member(by),
                                          entry=mentions.in_code(entry.text, 200)))
        return entry

    async def remove_entry(self, guild_id: int, raw: str, by: int) -> str:
        """Removes the entry that matches as `raw` would; returns it as it was written."""
        try:
            key = parse_entry(raw, probe=False).key
        except UserError:
            key = raw.strip()
        removed = await self._db.write(lambda tx: store.remove_blocklist_entry(tx, guild_id, key))
        if removed is None:
            raise UserError(tr("`{shown}` is not on this server's blocklist. See /moderation "
                               "blocklist show.",
                               shown=mentions.in_code(raw.strip(), 200)))
        await self._on_event(guild_id, tr("{admin} removed `{entry}` from the blocklist.",
                                          admin=mentions.member(by),
                                          entry=mentions.in_code(removed, 200)))
        return removed

    async def entries(self, guild_id: int) -> list[str]:
        """The server's own entries, oldest first."""
        return await self._db.read(lambda tx: store.blocklist_entries(tx, guild_id))

    # -- members -------------------------------------------------------------------------

    async def report(self, guild_id: int, user_id: int) -> MemberReport:
        """The member's strikes, cooldown and block."""
        record = await self._db.read(lambda tx: _record(tx, guild_id, user_id))
        return MemberReport(record, _dt(self._clock()), self.policy)

    async def pardon(self, guild_id: int, user_id: int, by: int) -> int:
        """Clears the member's strikes and any cooldown; returns how many were live."""
        now = self._clock()

        async def pardon(tx: Transaction) -> int:
            record = await _record(tx, guild_id, user_id)
            row = await store.member_standing(tx, guild_id, user_id)
            await store.put_member_standing(tx, _replace(row, pardoned_at=now))
            return len(recent_strikes(record, _dt(now), self.policy))

        cleared = await self._db.write(pardon)
        await self._on_event(guild_id, tr("{admin} pardoned {member}: strikes and cooldown "
                                          "cleared.", admin=mentions.member(by),
                                          member=mentions.member(user_id)))
        return cleared

    async def block(self, guild_id: int, user_id: int, reason: str | None, by: int) -> None:
        """Stops the member from generating in the server until unblocked."""
        now = self._clock()

        async def block(tx: Transaction) -> None:
            row = await store.member_standing(tx, guild_id, user_id)
            await store.put_member_standing(tx, _replace(row, blocked_at=now, block_reason=reason,
                                                  blocked_by=by))

        await self._db.write(block)
        who = {"admin": mentions.member(by), "member": mentions.member(user_id)}
        await self._on_event(guild_id, tr("{admin} blocked {member}. Reason: {reason}",
                                          reason=mentions.typed(reason), **who)
                             if reason else tr("{admin} blocked {member}.", **who))

    async def unblock(self, guild_id: int, user_id: int, by: int) -> bool:
        """Lifts a block; False when the member was not blocked."""

        async def unblock(tx: Transaction) -> bool:
            row = await store.member_standing(tx, guild_id, user_id)
            if row.blocked_at is None:
                return False
            await store.put_member_standing(tx, _replace(row, blocked_at=None, block_reason=None,
                                                  blocked_by=None))
            return True

        done = await self._db.write(unblock)
        if done:
            await self._on_event(guild_id, tr("{admin} unblocked {member}.",
                                              admin=mentions.member(by),
                                              member=mentions.member(user_id)))
        return done

    # -- review and appeal ---------------------------------------------------------------

    async def strike(self, strike_id: str) -> StrikeRow | None:
        """The strike, or None (never recorded, or removed by an approved appeal)."""
        return await self._db.read(lambda tx: store.strike(tx, strike_id))

    async def appeal(self, strike_id: str) -> AppealRow | None:
        """The appeal of the strike, or None."""
        return await self._db.read(lambda tx: store.appeal(tx, strike_id))

    async def review_channel(self, guild_id: int) -> int | None:
        """The server's review channel, or None (no appeals)."""
        return await self._db.read(lambda tx: store.review_channel(tx, guild_id))

    async def set_review_channel(self, guild_id: int, channel_id: int | None, by: int) -> None:
        """Sets the review channel; None turns appeals off."""
        await self._db.write(lambda tx: store.set_review_channel(tx, guild_id, channel_id))
        where = mentions.channel(channel_id) if channel_id else tr("off")
        await self._on_event(guild_id, tr("{admin} set the review channel: {where}.",
                                          admin=mentions.member(by), where=where))

    async def open_appeal(self, strike_id: str, user_id: int) -> tuple[AppealRow, int]:
        """Records the member's appeal of a strike; returns it and the review channel.
        Raises UserError when it cannot be appealed (not theirs, appealed already, no
        review channel, or no appeals left today)."""
        now = self._clock()

        async def appeal(tx: Transaction) -> tuple[AppealRow, int]:
            strike = await store.strike(tx, strike_id)
            if strike is None or strike.user_id != user_id:
                raise UserError(tr("This refusal can no longer be appealed."))
            if await store.appeal(tx, strike_id) is not None:
                raise UserError(tr("You have appealed this refusal already."))
            review = await store.review_channel(tx, strike.guild_id)
            if review is None:
                raise UserError(tr("This server does not review appeals any more."))
            await tx.lock_member(strike.guild_id, user_id)
            since = now - self.policy.window.total_seconds()
            times = await store.member_appeal_times(tx, strike.guild_id, user_id, since)
            allowance = appeal_allowance(MemberRecord(appeals=[_dt(t) for t in times]),
                                         _dt(now), self.policy)
            if not allowance.allowed:
                raise UserError(allowance.message)
            row = AppealRow(strike.id, strike.guild_id, user_id, strike.channel_id,
                            strike.kind, strike.reason, strike.prompt, strike.request,
                            "pending", None, None, now)
            if not await store.insert_appeal(tx, row):
                raise UserError(tr("You have appealed this refusal already."))
            return row, review

        return await self._db.write(appeal)

    async def set_appeal_message(self, strike_id: str, message_id: int) -> None:
        """Remembers where the appeal was posted for review."""
        await self._db.write(lambda tx: store.set_appeal_message(tx, strike_id, message_id))

    async def decide(self, strike_id: str, approve: bool, by: int) -> AppealRow:
        """Approves (the strike is removed) or rejects (it stays) a pending appeal; returns
        it as decided. Raises UserError when it was decided already, or when `by` is the
        member who appealed (nothing changes)."""
        now = self._clock()

        async def decide(tx: Transaction) -> AppealRow:
            pending = await store.appeal(tx, strike_id)
            if pending is not None and pending.user_id == by:
                raise UserError(tr("You cannot decide your own appeal: another moderator has to."
                                   " Nothing was changed."))
            state: AppealState = "approved" if approve else "rejected"
            if not await store.decide_appeal(tx, strike_id, state, by, now):
                raise UserError(tr("This appeal has been decided already."))
            if approve:
                await store.delete_strike(tx, strike_id)
            appeal = await store.appeal(tx, strike_id)
            assert appeal is not None
            return appeal

        appeal = await self._db.write(decide)
        who = {"admin": mentions.member(by), "member": mentions.member(appeal.user_id)}
        await self._on_event(appeal.guild_id,
                             tr("{admin} approved the appeal of {member}.", **who) if approve
                             else tr("{admin} rejected the appeal of {member}.", **who))
        return appeal


@dataclass(frozen=True, slots=True)
class _Struck:
    strike_id: str
    note: str


# The server's blocklist, the member's record and the server's review channel.
ScreenRows = tuple[list[str], MemberRecord, int | None]


def screen_rule(guild_id: int, user_id: int) -> Rule[ScreenRows]:
    """The read `Moderation.screen` judges a request by; a job runs it with its other
    settings in one transaction."""

    async def load(tx: Transaction) -> ScreenRows:
        entries, strikes, standing, review = await store.screen_rows(tx, guild_id, user_id)
        return entries, _record_of(strikes, standing), review

    return load


async def _record(tx: Transaction, guild_id: int, user_id: int) -> MemberRecord:
    """A member's rows as the strike rules take them."""
    strikes = await store.member_strikes(tx, guild_id, user_id)
    return _record_of(strikes, await store.member_standing(tx, guild_id, user_id))


def _record_of(strikes: list[StrikeRow], row: StandingRow) -> MemberRecord:
    """A member's strikes and standing as the strike rules take them."""
    block = None
    if row.blocked_at is not None:
        block = Block(_dt(row.blocked_at), row.block_reason, row.blocked_by)
    return MemberRecord(
        strikes=[Strike(_dt(s.created_at), s.kind, s.reason, s.prompt) for s in strikes],
        pardoned_at=_dt(row.pardoned_at) if row.pardoned_at is not None else None,
        block=block,
    )


def _replace(row: StandingRow, **values: object) -> StandingRow:
    fields = {"pardoned_at": row.pardoned_at, "blocked_at": row.blocked_at,
              "block_reason": row.block_reason, "blocked_by": row.blocked_by, **values}
    return StandingRow(row.guild_id, row.user_id, **fields)  # type: ignore[arg-type]

