"""A job's terms in its server: what the job itself reads of the server's settings (the
credits' server settings, the channel caps, whether a log channel takes the budget
alerts), the options checked against its model, the safety cap in force in its channel,
the plan of the providers that may serve it, how many images and what they cost.

The features a job reaches through its ports (bot/jobs/ports.py) declare their own reads;
the job runs them and its own in one transaction (one hop to SQLite's thread, one
PostgreSQL transaction) instead of one each.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.catalogue import Model, check_options
from bot.catalogue.plan import Plan
from bot.credits import store as credits_store
from bot.credits.rows import GuildConfig
from bot.errors import UserError
from bot.i18n import tr
from bot.jobs.ports import LogChannelRead
from bot.jobs.request import COUNT_MAX, ImagineRequest
from bot.providers.errors import NoProviderAvailable
from bot.providers.router import Router
from bot.safety import ChannelLookup, cap_in_channel, check_requested
from bot.settings import Settings
from bot.storage import Rule, Store, Transaction


@dataclass(frozen=True, slots=True)
class JobSettings:
    config: GuildConfig
    channel_caps: dict[int, int]
    # Whether the server has a log channel: without one, no budget alert is worked out.
    log_channel: bool = False
    # The locale of the server's shared texts (None: not read here).
    language: str | None = None


def job_settings_rule(guild_id: int, log_channel: LogChannelRead | None = None
                      ) -> Rule[JobSettings]:
    """The read of a job's own settings in `guild_id` (0: direct messages); `log_channel`
    reads whether the server has a log channel, and its language (neither is read
    without it)."""

    async def read(tx: Transaction) -> JobSettings:
        shared = (await log_channel(guild_id)(tx)
                  if guild_id and log_channel is not None else None)
        config, channel_caps = await credits_store.config_and_caps(tx, guild_id)
        return JobSettings(
            config=config,
            channel_caps=channel_caps,
            log_channel=shared is not None and shared.log_channel,
            language=shared.language if shared is not None else None,
        )

    return read


async def read_job_settings(store: Store, guild_id: int,
                            log_channel: LogChannelRead | None = None
                            ) -> JobSettings:
    """A job's own settings in `guild_id`, read on their own."""
    return await store.read(job_settings_rule(guild_id, log_channel))


@dataclass(frozen=True, slots=True)
class Terms:
    """What a checked request runs with: its options (the input image included), the cap
    in force, its plan and the credits it costs."""

    options: dict[str, Any]
    cap: int
    plan: Plan
    cost: int


async def terms(request: ImagineRequest, model: Model, *, server_cap: int,
                channel_caps: Mapping[int, int], router: Router, settings: Settings,
                channels: ChannelLookup) -> Terms:
    """The terms of `request` on `model` (its options already resolved), in SPEC's order
    of checks: the options, the safety cap, a provider to serve, the reference images,
    the count; raises UserError, with a message for the member, at the first that fails."""
    attachment = request.attachment
    # Once Discord's URL of a kept image has expired, the kept bytes serve the providers
    # that take an image's bytes; those that take it only by URL cannot.
    expired = (attachment is not None and attachment.kept_job is not None
               and attachment_expired(attachment.url, time.time()))
    options = dict(request.options)
    if attachment is not None:
        options["image"] = attachment
    # The image itself is downloaded and checked once the member's limit admits the job.
    check_options(model, options, router.offered())
    cap = await cap_in_channel(channels, request.guild_id, request.channel_id,
                               server_cap=server_cap, channel_caps=channel_caps,
                               sfw_max=settings.SFW_SAFETY_MAX)
    check_requested(options.get("safety_tolerance"), cap)
    chosen = {k: v for k, v in options.items() if k != "image"}
    try:
        plan = router.plan(model.id, chosen, cap, image=attachment is not None,
                           by_link=not expired)
    except NoProviderAvailable as exc:
        raise UserError(exc.user_message) from None
    if len(request.references) > model.references:
        raise UserError(tr("{label} takes at most {most} reference images; this asks for "
                           "{asked}.", label=model.label, most=model.references,
                           asked=len(request.references)))
    if not 1 <= request.count <= COUNT_MAX:
        raise UserError(tr("`count` must be 1-{count_max}.", count_max=COUNT_MAX))
    cost = (settings.cost(model.id, options.get("megapixels"))
            + settings.reference_cost(model.id, [
                (r.width or 0) * (r.height or 0) for r in request.references])
            ) * request.count
    return Terms(options, cap, plan, cost)


def attachment_expired(url: str, now: float) -> bool:
    """True when a Discord CDN URL's signed expiry (`ex`, hex epoch seconds) is past. A URL
    without one is taken as alive."""
    try:
        values = parse_qs(urlsplit(url).query).get("ex") or []
        return bool(values) and int(values[0], 16) <= now
    except ValueError:
        return False
