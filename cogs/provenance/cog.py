"""`Check provenance` (a message context menu, everyone): reads the C2PA manifests of the
message's images and answers privately who signed them, what they claim, and whether the
signature holds, or that there is none."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import mentions
from bot.client import FluxBot
from bot.i18n import Text, join, tr
from bot.jobs.request import MAX_INPUT_BYTES
from bot.provenance.reading import Manifest, read
from bot.replies import defer_private, reply
from bot.workers import in_image_thread
from cogs.common.language import member_language

log = logging.getLogger(__name__)

MAX_IMAGES = 10
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def _text(value: str) -> str:
    """Text from a manifest, as plain text: never markup or a mention."""
    return mentions.typed(value[:200])


def describe(name: str, found: Manifest | None) -> Text:
    """One image's answer."""
    if found is None:
        return tr("`{name}`: no content credentials (C2PA).", name=name)
    if found.state == "Invalid":
        return tr("`{name}`: content credentials signed by {signer}, but the signature does "
                  "not hold: the file was changed after signing, or the manifest is damaged.",
                  name=name, signer=_text(found.signer))
    claims: Text = tr("made by AI") if found.ai_generated else tr("no claim that AI made it")
    if found.model:
        claims += tr(", model {model}", model=_text(found.model))
    if found.provider:
        claims += tr(", provider {provider}", provider=_text(found.provider))
    trust = (tr("the signature holds, but the certificate is on no C2PA trust list")
             if found.untrusted or found.state != "Trusted" else
             tr("the signature holds and the certificate is trusted"))
    line = tr("`{name}`: signed by {signer}: {claims}; {trust}.", name=name,
              signer=_text(found.signer), claims=claims, trust=trust)
    if found.parent_signer:
        line += tr(" Made from an image signed by {signer}.", signer=_text(found.parent_signer))
    return line


class Provenance(commands.Cog):
    """Where a message's images came from."""

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Check provenance", callback=self.check)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def check(self, interaction: discord.Interaction[FluxBot],
                    message: discord.Message) -> None:
        """Reads the content credentials of the message's images."""
        await defer_private(interaction)
        images = [a for a in message.attachments if (a.content_type or "").startswith("image/")
                  or a.filename.lower().endswith(IMAGE_SUFFIXES)][:MAX_IMAGES]
        if not images:
            await reply(interaction, tr("That message has no images to check."))
            return
        lines: list[Text] = []
        for attachment in images:
            name = mentions.in_code(attachment.filename, 100)
            if attachment.size > MAX_INPUT_BYTES:
                lines.append(tr("`{name}`: too large to check here.", name=name))
                continue
            try:
                data = await attachment.read()
            except discord.HTTPException as exc:
                log.info("could not download attachment to check: HTTP %s", exc.status)
                lines.append(tr("`{name}`: could not be downloaded from Discord.", name=name))
                continue
            lines.append(describe(name, await in_image_thread(read, data)))
        await interaction.edit_original_response(
            content=join(lines, "\n").render(member_language(interaction))[:2000],
            allowed_mentions=discord.AllowedMentions.none())


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Provenance(bot))
