"""fluxcord in the member's language: one gettext catalogue (`locales/<lang>/LC_MESSAGES/
fluxcord.po`), texts that stay untranslated until the reply that shows them, and the
languages fluxcord speaks.

A text is written `tr("Deleted.")` or `trn("{n} credit", "{n} credits", amount)` where
it is made (the English source is its message id); it is rendered in a language only
where it is sent: the member's own (`interaction.locale`) for private answers, the
server's (`/server language`) for what everyone sees. Adding a language is one `.po`
file and one line in `LANGUAGES`.
"""

from __future__ import annotations

import functools
import gettext
import logging
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

log = logging.getLogger(__name__)

DOMAIN = "fluxcord"
# How texts are marked in the code, for extraction: `tr(msgid)`, `trn(singular, plural, n)`.
KEYWORDS: dict[str, tuple[int, ...] | None] = {"tr": None, "trn": (1, 2)}
LOCALES_DIR = Path(__file__).parent / "locales"
SOURCE = "en"
DEFAULT_LOCALE = "en-US"  # a server's language until /server language chooses another

# Discord's locale -> the catalogue that speaks it (a directory under locales/; English
# is the source and has none). Adding a language: its .po file and one line here.
LANGUAGES: dict[str, str] = {
    "en-US": SOURCE,
    "en-GB": SOURCE,
    "de": "de",
    "fr": "fr",
    "es-ES": "es",
    "pt-BR": "pt_BR",
}
# The languages `/server language` offers: Discord's locale -> its name in itself.
NAMES: dict[str, str] = {
    "en-US": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es-ES": "Español",
    "pt-BR": "Português do Brasil",
}


def catalogue(locale: object) -> str:
    """The catalogue for a Discord locale (a `discord.Locale` or its value); English for
    any language fluxcord does not have."""
    value = getattr(locale, "value", locale)
    return LANGUAGES.get(str(value), SOURCE) if value else SOURCE


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of `lang`, loaded once per process (English: the ids
    themselves). Compiles the .po in memory when no .mo was built (a source checkout)."""
    if lang == SOURCE:
        return gettext.NullTranslations()
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as file:
            return gettext.GNUTranslations(file)
    if not po.exists():
        log.warning("no catalogue for %s; its members read English", lang)
        return gettext.NullTranslations()
    log.info("compiling the %s catalogue in memory (no current .mo was built)", lang)
    with po.open("rb") as file:
        messages = read_po(file, locale=lang, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, messages)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def number(value: int | float, lang: str) -> str:
    """`1,500` / `1.500` / `1 500`: a number as the language writes it."""
    return _format(value, lang)


@functools.lru_cache(maxsize=4096)
def _format(value: int | float, lang: str) -> str:
    return format_decimal(value, locale=_babel_locale(lang))


@functools.cache
def _babel_locale(lang: str) -> Locale:
    return Locale.parse("en_US" if lang == SOURCE else lang)


class Text(str):
    """A sentence with its English message id and parameters (strings, numbers as
    written, other texts). It *is* its English rendering, so it goes wherever a string
    does (logs, tests, f-strings, which give English); `render` gives it in a language.
    Concatenating with `+` keeps both parts translatable."""

    msgid: str
    _plural: str | None
    _n: int
    _params: Mapping[str, Any]

    def __new__(cls, msgid: str, plural: str | None = None, n: int = 0,
                params: Mapping[str, Any] | None = None) -> Text:
        english = _fill(msgid if plural is None or abs(n) == 1 else plural, n, plural,
                        params or {}, SOURCE)
        self = super().__new__(cls, english)
        self.msgid, self._plural, self._n, self._params = msgid, plural, n, params or {}
        return self

    def render(self, locale: object) -> str:
        """This text in the language of a Discord locale (or a catalogue name)."""
        lang = _lang(locale)
        if lang == SOURCE:
            return str(self)
        found = translations(lang)
        if self._plural is None:
            template = found.gettext(self.msgid)
        else:
            # "-1 credit" (a removal) takes the form of 1.
            template = found.ngettext(self.msgid, self._plural, abs(self._n))
        return _fill(template, self._n, self._plural, self._params, lang)

    def __add__(self, other: str) -> Text:
        return Joined((self, other))

    def __radd__(self, other: str) -> Text:
        return Joined((other, self))


def _fill(template: str, n: int, plural: str | None, params: Mapping[str, Any],
          lang: str) -> str:
    values = {key: render(value, lang) for key, value in params.items()}
    if plural is not None:
        values.setdefault("n", number(n, lang))
    return template.format(**values) if values else template


def _lang(locale: object) -> str:
    return locale if isinstance(locale, str) and locale in _CATALOGUES else catalogue(locale)


class Joined(Text):
    """Texts (and plain strings) shown one after the other, each in the same language."""

    _parts: tuple[object, ...]

    def __new__(cls, parts: tuple[object, ...], sep: str = "") -> Joined:
        self = str.__new__(cls, sep.join(str(part) for part in parts))
        self.msgid, self._plural, self._n, self._params = sep, None, 0, {}
        self._parts = parts
        return self

    def render(self, locale: object) -> str:
        lang = _lang(locale)
        return self.msgid.join(render(part, lang) for part in self._parts)


_CATALOGUES = frozenset(LANGUAGES.values())


def tr(msgid: str, /, **params: Any) -> Text:
    """A sentence to translate: `tr("Done: {link}.", link=url)` (placeholders in braces)."""
    return Text(msgid, params=params)


def trn(singular: str, plural: str, n: int, /, **params: Any) -> Text:
    """A sentence that depends on a count: `trn("{n} credit", "{n} credits", amount)`;
    `{n}` is the count as the language writes numbers."""
    return Text(singular, plural, n, params)


def join(parts: list[Any] | tuple[Any, ...], sep: str = "") -> Text:
    """Texts and strings joined by `sep` (a space, a newline), rendered together."""
    return Joined(tuple(parts), sep)


def render(value: object, locale: object) -> str:
    """Any value as shown in a language: texts are translated, numbers and strings stay as
    they are (format counts with `trn` or `number`)."""
    if isinstance(value, Text):
        return value.render(locale)
    return str(value)
