"""/credits report: a private summary of where the credits went, with the CSV of every
ledger row of the period attached (compressed or split to fit the upload limit) and
spend.png, the credits spent per day by model."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot import mentions, texts
from bot.admin.chart import FILENAME as CHART_FILENAME
from bot.admin.chart import spend_chart
from bot.admin.report import Report, build_report
from bot.i18n import SOURCE, Text, tr, trn
from bot.replies import defer_private
from cogs.common.job.delivery import discord_file
from cogs.common.language import member_language

if TYPE_CHECKING:
    from bot.client import FluxBot

DAY = 86400
FILES_PER_MESSAGE = 10  # Discord's limit
# Room for the multipart envelope around each file.
UPLOAD_HEADROOM = 64 * 1024
FIELD_LINES = 10

log = logging.getLogger(__name__)


async def send_report(interaction: discord.Interaction[FluxBot], days: int,
                      member: discord.Member | discord.User | None) -> None:
    """Builds the report of the last `days` days (of `member` alone if given) and answers
    privately with the summary and the file(s)."""
    assert interaction.guild_id is not None
    await defer_private(interaction)
    services = interaction.client.services
    since = services.admin.now() - days * DAY
    limit = max(interaction.filesize_limit - UPLOAD_HEADROOM, 64 * 1024)
    name = f"fluxcord-credits-{days}d" + (f"-{member.id}" if member else "")
    report = await build_report(services.store, interaction.guild_id, since,
                                member.id if member else None, limit, name)
    embed = summary_embed(report, days, member, member_language(interaction))
    files = [discord_file(f.data, f.filename) for f in report.files]
    try:
        names = await member_names(interaction.guild, report.summary.top_spenders)
        chart = await spend_chart(report.summary.by_day, since, services.admin.now(), names)
        files.append(discord_file(chart, CHART_FILENAME))
    except Exception:  # the summary and the CSV still go out without the picture
        log.exception("spend chart of server %d not drawn", interaction.guild_id)
    await interaction.edit_original_response(
        embed=embed, attachments=files[:FILES_PER_MESSAGE])
    for start in range(FILES_PER_MESSAGE, len(files), FILES_PER_MESSAGE):
        await interaction.followup.send(files=files[start:start + FILES_PER_MESSAGE],
                                        ephemeral=True)


async def member_names(guild: discord.Guild | None, spenders: Sequence[tuple[int, int]]
                       ) -> list[tuple[str, int]]:
    """(shown name, credits) of each top spender; a member who left is shown by id."""
    named: list[tuple[str, int]] = []
    for member_id, credits in spenders:
        member = guild.get_member(member_id) if guild is not None else None
        if member is None and guild is not None:
            try:
                member = await guild.fetch_member(member_id)
            except discord.HTTPException:
                member = None
        named.append((member.display_name if member else f"member {member_id}", credits))
    return named


def summary_embed(report: Report, days: int,
                  member: discord.Member | discord.User | None,
                  lang: str = SOURCE) -> discord.Embed:
    """The summary: spent, refunded, granted, jobs, per model, per member, top spenders,
    in the language `lang` of the member who asked."""
    s = report.summary

    def _(text: Text) -> str:
        return text.render(lang)

    ledger = (tr("Ledger of {member}: {n} entries.", member=member.mention, n=s.rows)
              if member else tr("Ledger: {n} entries.", n=s.rows))
    running = (tr("; still running: {running}", running=s.jobs_running)
               if s.jobs_running else "")
    embed = discord.Embed(
        title=_(trn("Credit report: last {n} day", "Credit report: last {n} days", days)),
        description="\n".join((
            _(ledger),
            _(tr("Spent on images: {spent}; refunded: {refunded}; net: {net}.",
                 spent=texts.credits(s.spent), refunded=texts.credits(s.refunded),
                 net=texts.credits(s.spent - s.refunded))),
            _(tr("Granted by admins: {granted}.", granted=texts.credits(s.granted))),
            _(tr("Jobs posted: {posted}; failed (refunded): {failed}{running}.",
                 posted=s.jobs_posted, failed=s.jobs_failed, running=running)),
        )),
        colour=discord.Colour.blurple(),
    )
    models = sorted(set(s.by_model) | set(s.posted_by_model) | set(s.failed_by_model))
    if models:
        embed.add_field(name=_(tr("Per model")), inline=False, value="\n".join(
            _(tr("{model}: {credits}, {posted} posted, {failed} failed",
                 model=texts.model_label(m), credits=texts.credits(s.by_model[m]),
                 posted=s.posted_by_model[m], failed=s.failed_by_model[m]))
            for m in models[:FIELD_LINES])[:1024])
    if s.top_spenders:
        embed.add_field(name=_(tr("Top spenders")), inline=False, value="\n".join(
            _(tr("{rank}. {member}: {credits}, {posted} posted, {failed} failed",
                 rank=n, member=mentions.member(m), credits=texts.credits(c),
                 posted=s.posted_by_member[m], failed=s.failed_by_member[m]))
            for n, (m, c) in enumerate(s.top_spenders, start=1))[:1024])
    members = len([m for m, c in s.by_member.items() if c])
    embed.add_field(name=_(tr("Members who spent")), value=str(members), inline=True)
    note = {
        "plain": tr("The CSV has one row per ledger entry."),
        "compressed": tr("The CSV was too large to upload as it is, so it is "
                         "gzip-compressed (.csv.gz)."),
        "split": tr("The CSV was too large to upload even compressed, so it is split into "
                    "{parts} parts, each starting with the header row.",
                    parts=len(report.files)),
    }[report.how]
    embed.set_footer(text=_(note) + _(tr(" Columns: time (UTC), member_id, delta, bucket, "
                                         "reason, job_id, model. spend.png: credits spent "
                                         "per day, by model.")))
    return embed
