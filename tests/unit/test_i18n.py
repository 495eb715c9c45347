"""The message catalogue: every text translated into every language with its
placeholders kept, real plural forms, numbers as each language writes them."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n, texts
from bot.i18n import DOMAIN, KEYWORDS, LANGUAGES, LOCALES_DIR, SOURCE, render, tr, trn

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(set(LANGUAGES.values()) - {SOURCE})


def catalogue(lang: str) -> Catalog:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as file:
        return read_po(file, locale=lang)


def code_texts() -> set[str]:
    """Every message id written with `tr`/`trn` in bot/ and cogs/."""
    found: set[str] = set()
    for package in ("bot", "cogs"):
        for _name, _line, message, _comments, _context in extract_from_dir(
                ROOT / package, [("**.py", "python")], keywords=KEYWORDS):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_language_has_its_catalogue() -> None:
    assert CATALOGUES == ["de", "es", "fr", "pt_BR"]
    for lang in CATALOGUES:
        assert (LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").is_file(), lang


@pytest.mark.parametrize("lang", CATALOGUES)
def test_every_text_in_the_code_is_translated(lang: str) -> None:
    """A text added with tr() and not yet in the catalogue (run scripts/i18n_extract.py),
    or not yet translated, fails here."""
    translated = {m.id[0] if m.pluralizable else m.id: m for m in catalogue(lang) if m.id}
    missing = sorted(code_texts() - set(translated))
    assert not missing, f"not in the {lang} catalogue: {missing}"


@pytest.mark.parametrize("lang", CATALOGUES)
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    problems = []
    for message in catalogue(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = placeholders(ids[-1])
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for form in forms:
            if not form:
                problems.append(f"untranslated: {ids[0]!r}")
            elif placeholders(form) != expected:
                problems.append(f"placeholders {sorted(placeholders(form))} instead of "
                                f"{sorted(expected)}: {form!r}")
    assert not problems, "\n".join(problems)


# "N credits" in each language, by its own plural rules and number format.
CREDITS = {
    "en": ["0 credits", "1 credit", "2 credits", "21 credits", "12,500 credits",
           "1,000,000 credits"],
    "de": ["0 Credits", "1 Credit", "2 Credits", "21 Credits", "12.500 Credits",
           "1.000.000 Credits"],
    "fr": ["0 crédit", "1 crédit", "2 crédits", "21 crédits", "12\u202f500 crédits",
           "1\u202f000\u202f000 de crédits"],
    "es": ["0 créditos", "1 crédito", "2 créditos", "21 créditos", "12.500 créditos",
           "1.000.000 de créditos"],
    "pt_BR": ["0 crédito", "1 crédito", "2 créditos", "21 créditos", "12.500 créditos",
              "1.000.000 de créditos"],
}


@pytest.mark.parametrize("lang", list(CREDITS))
def test_credits_take_each_languages_plural_forms(lang: str) -> None:
    amounts = [0, 1, 2, 21, 12_500, 1_000_000]
    assert [texts.credits(n).render(lang) for n in amounts] == CREDITS[lang]


def test_discord_locales_choose_the_catalogue() -> None:
    text = tr("Deleted.")
    assert text == "Deleted."  # a text is its English wherever a string is needed
    assert text.render("de") == "Gelöscht."
    assert text.render("es-ES") == "Eliminada."
    assert text.render("pt-BR") == "Excluída."
    assert text.render("en-GB") == "Deleted."
    assert text.render("ja") == "Deleted."  # no Japanese: English
    refused = trn("{n} of your prompts was refused within 24 hours, so you can generate "
                  "again {when}.",
                  "{n} of your prompts were refused within 24 hours, so you can generate "
                  "again {when}.", 3, when="<t:1:R>")
    assert refused.render("fr") == ("3 de tes prompts ont été refusés en 24 heures, tu "
                                    "pourras donc générer à nouveau <t:1:R>.")


def test_joined_texts_are_rendered_together() -> None:
    joined = tr("It failed.") + " " + texts.your_credits_back(2)
    assert joined == "It failed. Your 2 credits are back."
    assert joined.render("de") == "Es ist fehlgeschlagen. Deine 2 Credits sind zurück."
    assert texts.listing(["a", "b", "c"]).render("pt-BR") == "a, b e c"
    assert not texts.listing([])


def test_a_source_checkout_compiles_the_catalogue_in_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(LOCALES_DIR / "de" / "LC_MESSAGES" / f"{DOMAIN}.po", folder)
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert tr("Deleted.").render("de") == "Gelöscht."
        assert not (folder / f"{DOMAIN}.mo").exists()
    finally:
        i18n.translations.cache_clear()


def test_an_option_refusal_and_a_tools_label_are_translated() -> None:
    from bot.catalogue import MODELS, OptionError, check_options
    from bot.tools import tool

    with pytest.raises(OptionError) as caught:
        check_options(MODELS["flux-2-pro"], {"width": 512})
    german = render(caught.value.message, "de")
    assert german.startswith("FLUX.2 [pro] (`flux-2-pro`) nimmt `width` nicht. Es "
                             "funktioniert mit "), german
    assert render(tool("zoom-1.5").label, "fr") == "Dézoomer 1,5x"
    assert tool("zoom-1.5").label == "Zoom Out 1.5x"  # the English source, as SPEC names it


def test_an_input_image_refusal_names_the_image_in_the_members_language() -> None:
    from bot.images import InputRefused, check_input

    with pytest.raises(InputRefused) as caught:
        check_input(b"not a picture", 4_000_000, "board image 3")
    assert render(caught.value.user_message, "de") == (
        "`board image 3` muss ein PNG-, JPEG- oder WebP-Bild sein.")


def test_no_text_is_an_f_string_the_extraction_skips(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    """An f-string inside tr() (even as a placeholder's value) is skipped by babel with a
    warning; values are worked out before the call, so every text is extracted."""
    code_texts()
    skipped = [line for line in capsys.readouterr().err.splitlines() if "f-string" in line]
    assert not skipped, skipped
