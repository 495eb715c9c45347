"""Refreshes the message catalogue: every `tr(...)`/`trn(...)` text in bot/ and cogs/,
and every command's, option's and choice's description as registered, into
bot/i18n/fluxcord.pot; then each language's .po file is updated from it (new ids added
untranslated, gone ones marked obsolete).

Run from the repository: `.venv/bin/python scripts/i18n_extract.py`.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po
from discord import app_commands

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.i18n import DOMAIN, KEYWORDS, LOCALES_DIR  # noqa: E402

TEMPLATE = LOCALES_DIR.parent / f"{DOMAIN}.pot"


def code_texts(catalog: Catalog) -> None:
    """The texts written with `tr` and `trn`."""
    for package in ("bot", "cogs"):
        for filename, line, message, comments, _context in extract_from_dir(
                ROOT / package, [("**.py", "python")], keywords=KEYWORDS,
                comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
            catalog.add(message, locations=[(f"{package}/{filename}", line)],
                        auto_comments=comments, flags=("python-brace-format",))


async def command_texts(catalog: Catalog) -> None:
    """The descriptions and choice names of the commands as the bot registers them."""
    from bot.app import open_services
    from bot.client import COGS, FluxBot
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, DISCORD_TOKEN="extract",  # type: ignore[call-arg]
                            DATABASE_URL=f"sqlite:///{folder}/extract.db")
        async with open_services(settings) as services:
            bot = FluxBot(services)
            for cog in COGS:
                await bot.load_extension(cog)
            for command in bot.tree.walk_commands():
                where = [(f"/{command.qualified_name}", 0)]
                catalog.add(command.description, locations=where)
                if isinstance(command, app_commands.Command):
                    for parameter in command.parameters:
                        catalog.add(parameter.description, locations=where)
                        for choice in parameter.choices:
                            if _wording(choice):
                                catalog.add(choice.name, locations=where)
            for cog in list(bot.extensions):  # never connected: unload, not close
                await bot.unload_extension(cog)


def _wording(choice: app_commands.Choice[Any]) -> bool:
    """A choice whose shown name is words to translate, not a value, a model's name, a
    size or a language named in itself."""
    from bot.catalogue import MODELS
    from bot.i18n import NAMES

    name = choice.name
    return not (name == str(choice.value) or name in NAMES.values()
                or name in {m.label for m in MODELS.values()}
                or re.fullmatch(r"[0-9.:]+( MP)?", name))


def main() -> None:
    catalog = Catalog(project="fluxcord", fuzzy=False)
    code_texts(catalog)
    asyncio.run(command_texts(catalog))
    with TEMPLATE.open("wb") as file:
        write_po(file, catalog, width=0, sort_output=False)
    for po in sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po.parent.parent.name
        with po.open("rb") as file:
            translated = read_po(file, locale=lang)
        translated.update(catalog, update_header_comment=False)
        with po.open("wb") as file:
            write_po(file, translated, width=0, ignore_obsolete=True, include_previous=False)
        print(f"{lang}: {len(translated)} messages", file=sys.stderr)


if __name__ == "__main__":
    main()
