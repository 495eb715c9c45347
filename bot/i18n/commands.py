"""Commands' descriptions and choices' display names in the member's language, through
discord.py's `Translator`: the synced commands carry `description_localizations` (and
`name_localizations` for choices) from the same catalogue as every reply.

Command, option and choice *names* are never translated: they are what members type and
what the documentation names.
"""

from __future__ import annotations

import hashlib

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import LANGUAGES, LOCALES_DIR, SOURCE, translations

# What the catalogue translates; names (of commands, groups, options) stay as written.
_TRANSLATED = frozenset({
    Where.command_description, Where.group_description, Where.parameter_description,
    Where.choice_name,
})


class CatalogueTranslator(app_commands.Translator):
    """Looks each description up in the catalogue by its English text."""

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        lang = LANGUAGES.get(locale.value, SOURCE)
        if lang == SOURCE or context.location not in _TRANSLATED:
            return None
        found = translations(lang).gettext(string.message)
        # Untranslated (the id itself): Discord then shows the English.
        return found if found != string.message else None


def catalogue_digest() -> str:
    """A digest of every catalogue's source, so a changed translation re-registers the
    commands (their descriptions carry it)."""
    digest = hashlib.sha256()
    for po in sorted(LOCALES_DIR.glob("*/LC_MESSAGES/*.po")):
        digest.update(po.parent.parent.name.encode())
        digest.update(po.read_bytes())
    return digest.hexdigest()
