"""A moderation refusal on the Discord side: the private answer, its Appeal button, and
the appeal's post in the review channel.

The refused prompt goes nowhere but the member's own private answer and the review
channel. Every message here is sent with mentions disabled, except the one that tells a
member the outcome once their private answer is gone.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.client import report_error
from bot.i18n import SOURCE, Text, catalogue, render, tr
from bot.mentions import in_code, typed
from bot.moderation.refusal import ModerationRefusal
from bot.moderation.store import AppealRow
from bot.moderation.strikes import discord_time
from bot.replies import defer_private
from cogs.common.component import STRIKE, Checked, NotHere
from cogs.common.job.embed import clipped
from cogs.common.language import guild_language, server_language

if TYPE_CHECKING:
    from bot.client import FluxBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
# Answer through the member's appeal interaction only while its token has this long left.
TOKEN_MARGIN = timedelta(seconds=60)
REVIEW_COLOUR = discord.Colour.orange()

# The member's Appeal click, per strike, while its token lives: how the outcome reaches
# them privately. After a restart or 15 minutes it is gone and a mention is used.
_waiting: dict[str, discord.Interaction[Any]] = {}


async def send_refusal(interaction: discord.Interaction[Any], refusal: ModerationRefusal
                       ) -> None:
    """Answers privately with the refusal and, when it may be appealed, an Appeal button."""
    view = None
    lang = catalogue(interaction.locale)
    if refusal.appealable and refusal.strike_id is not None:
        view = discord.ui.View(timeout=None)
        view.add_item(AppealButton(refusal.strike_id, lang))
    kwargs: dict[str, Any] = {"content": refusal.render(lang),
                              "allowed_mentions": NO_MENTIONS}
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.edit_original_response(**kwargs)
    else:
        await interaction.response.send_message(ephemeral=True, **kwargs)


class AppealButton(Checked, discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"fluxcord:appeal:" + STRIKE):
    """Sends the refused prompt to the server's review channel (once per strike); only
    the struck member, in the strike's server."""

    def __init__(self, strike_id: str, lang: str = SOURCE) -> None:
        super().__init__(discord.ui.Button(
            label=tr("Appeal").render(lang), style=discord.ButtonStyle.secondary,
            custom_id=f"fluxcord:appeal:{strike_id}", emoji="⚖️"))
        self.strike_id = strike_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]) -> AppealButton:
        return cls(match["strike"])

    async def admit(self, interaction: discord.Interaction[FluxBot]) -> None:
        strike = await interaction.client.services.moderation.strike(self.strike_id)
        if (strike is None or strike.guild_id != (interaction.guild_id or 0)
                or strike.user_id != interaction.user.id):
            raise NotHere

    async def callback(self, interaction: discord.Interaction[FluxBot]) -> None:  # type: ignore[override]
        await defer_private(interaction)
        try:
            await self._appeal(interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    async def _appeal(self, interaction: discord.Interaction[FluxBot]) -> None:
        moderation = interaction.client.services.moderation
        appeal, channel_id = await moderation.open_appeal(self.strike_id, interaction.user.id)
        channel = interaction.client.get_partial_messageable(channel_id)
        mine, theirs = catalogue(interaction.locale), await server_language(interaction)
        try:
            message = await channel.send(embed=review_embed(appeal, theirs),
                                         view=review_view(appeal, lang=theirs),
                                         allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("appeal %s could not be posted in review channel %d: %s",
                        appeal.strike_id, channel_id, exc)
            await interaction.edit_original_response(
                content=tr("Your appeal is recorded, but the review channel could not be "
                           "reached. Ask the server's moderators to check it.").render(mine),
                view=None)
            return
        await moderation.set_appeal_message(appeal.strike_id, message.id)
        for strike_id in [k for k, ix in _waiting.items()
                          if not _alive(ix) or ix.client is not interaction.client]:
            del _waiting[strike_id]
        _waiting[appeal.strike_id] = interaction
        await interaction.edit_original_response(
            content=tr("Your appeal was sent to the server's moderators. You will hear the "
                       "outcome here, or by a mention if this message is gone by then."
                       ).render(mine),
            view=None, allowed_mentions=NO_MENTIONS)


def review_embed(appeal: AppealRow, lang: str = SOURCE) -> discord.Embed:
    """What the moderators review: exactly what Approve runs (the final prompt, with any
    suffix of a preset, board or preferences, the model and the options), the member and
    the reason; in the server's language `lang`."""

    def _(text: Text) -> str:
        return text.render(lang)

    embed = discord.Embed(title=_(tr("Appeal")), description=clipped(typed(appeal.prompt), 4000),
                          colour=REVIEW_COLOUR)
    embed.add_field(name=_(tr("Member")), value=f"<@{appeal.user_id}>")
    embed.add_field(name=_(tr("Model")),
                    value=str(appeal.request.get("model") or _(tr("default"))))
    refused_by = (tr("blocklist entry") if appeal.kind == "blocklist" else tr("provider"))
    # An entry as the moderators wrote it (a regex, perhaps); a provider's words as text.
    reason = _code(appeal.reason) if appeal.kind == "blocklist" else typed(appeal.reason)
    embed.add_field(name=_(tr("Refused by")),
                    value=f"{_(refused_by)}: {reason}"[:1024])
    embed.add_field(name=_(tr("Channel")), value=f"<#{appeal.channel_id}>")
    # Only a blocklist hit is run on approval; a provider's refusal shows what was asked.
    label = tr("Approve runs it with") if appeal.kind == "blocklist" else tr("Asked with")
    embed.add_field(name=_(label), value=runs_with(appeal.request)[:1024], inline=False)
    embed.set_footer(text=_(tr("strike {strike}", strike=appeal.strike_id[-8:])))
    return embed


def runs_with(request: dict[str, Any]) -> str:
    """The options of a frozen request, one `name: value` each, and where they came from."""
    options = request.get("options") or {}
    parts = [f"{_code(name)}: {_code(value)}" for name, value in sorted(options.items())]
    seed = request.get("seed")
    parts.append(f"`seed`: {_code(seed) if seed is not None else 'random'}")
    if int(request.get("count") or 1) > 1:
        parts.append(f"`count`: {_code(request['count'])}")
    attachment = request.get("attachment")
    if isinstance(attachment, dict):
        parts.append(f"`image`: {_code(attachment.get('filename'))}")
    applied = []
    if request.get("preset"):
        applied.append(f"preset {_code(request['preset'])}")
    if request.get("board"):
        applied.append(f"board {_code(request['board'])}")
    if request.get("preferences_applied"):
        applied.append("the member's preferences")
    if applied:
        parts.append(f"(prompt and options include {', '.join(applied)})")
    return "\n".join(parts)


def _code(value: object) -> str:
    """A value in backticks: shown as typed, never as markup or a mention."""
    return f"`{in_code(value, 100)}`"


def review_view(appeal: AppealRow, *, decided: str | None = None,
                lang: str = SOURCE) -> discord.ui.View:
    """Approve and Reject; disabled once decided. The buttons are answered by their
    custom_id (cogs.moderation.review), so they work after a restart."""
    view = discord.ui.View(timeout=None)
    for action, label, style in (("approve", tr("Approve"), discord.ButtonStyle.success),
                                 ("reject", tr("Reject"), discord.ButtonStyle.danger)):
        view.add_item(discord.ui.Button(
            label=label.render(lang), style=style, disabled=decided is not None,
            custom_id=f"fluxcord:appeal-{action}:{appeal.strike_id}"))
    return view


def _alive(interaction: discord.Interaction[Any]) -> bool:
    return discord.utils.utcnow() + TOKEN_MARGIN < interaction.expires_at


async def tell_member(bot: FluxBot, appeal: AppealRow, text: str) -> None:
    """Tells the member the outcome of their appeal: privately while their appeal's
    interaction lives, else by a mention in the channel they asked in (without the
    prompt); in the member's language while their interaction lives, else the server's."""
    waiting = _waiting.pop(appeal.strike_id, None)
    # (Only this bot's own: a bot started again in the same process has a new session.)
    if waiting is not None and waiting.client is bot and _alive(waiting):
        try:
            await waiting.edit_original_response(content=render(text, waiting.locale),
                                                 view=None,
                                                 allowed_mentions=NO_MENTIONS)
            return
        except discord.HTTPException as exc:
            log.info("appeal outcome not shown privately (%s); mentioning instead", exc)
    channel = bot.get_partial_messageable(appeal.channel_id)
    text = render(text, await guild_language(bot, appeal.guild_id))
    try:
        await channel.send(f"<@{appeal.user_id}> {text}",
                           allowed_mentions=discord.AllowedMentions(
                               users=[discord.Object(appeal.user_id)]))
    except discord.HTTPException as exc:
        log.warning("could not tell member %d about their appeal: %s", appeal.user_id, exc)


def decided_line(appeal: AppealRow) -> Text:
    """The review message's last word, for the moderators."""
    when = discord_time(datetime.fromtimestamp(appeal.decided_at or 0, UTC))
    moderator = f"<@{appeal.decided_by}>"
    if appeal.state == "approved":
        return tr("Approved by {moderator} {when}.", moderator=moderator, when=when)
    return tr("Rejected by {moderator} {when}.", moderator=moderator, when=when)
