"""fluxcord in the member's language, end to end: each of Discord's locales that fluxcord
speaks gets its refusals, progress and buttons in that language, the server's language
(`/server language`) rules what everyone sees, and the registered commands carry their
translated descriptions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.e2e_fixtures import World, private_text, results
from tests.support.standins.discord_models import Message, walk_components

pytestmark = pytest.mark.asyncio
TIMEOUT = 15.0

# What each language says, written out here (not read from the catalogue) so that a text
# shown in English, or a catalogue that is not loaded, fails.
SAID = {
    "de": {"done": "Fertig: ", "left": "Du hast noch 0 Credits.", "cost": "Kosten",
           "one": "1 Credit", "reroll": "Neu würfeln", "balance": "0 Credits übrig",
           "refusal": "Das kostet 1 Credit; du hast 0 Credits.", "set": "jetzt auf Deutsch"},
    "fr": {"done": "Terminé : ", "left": "Il te reste 0 crédit.", "cost": "Coût",
           "one": "1 crédit", "reroll": "Relancer", "balance": "0 crédit restant",
           "refusal": "Cela coûte 1 crédit ; tu as 0 crédit.", "set": "maintenant en Français"},
    "es-ES": {"done": "Listo: ", "left": "Saldo restante: 0 créditos.", "cost": "Coste",
              "one": "1 crédito", "reroll": "Repetir", "balance": "quedan 0 créditos",
              "refusal": "Esto cuesta 1 crédito; tienes 0 créditos.",
              "set": "ahora están en Español"},
    "pt-BR": {"done": "Pronto: ", "left": "Você ainda tem 0 crédito.", "cost": "Custo",
              "one": "1 crédito", "reroll": "Gerar de novo", "balance": "resta 0 crédito",
              "refusal": "Isso custa 1 crédito; você tem 0 crédito.",
              "set": "agora estão em Português do Brasil"},
}


def labels(message: Message) -> set[str]:
    return {str(c["label"]) for c in walk_components(message.components) if c.get("label")}


def fields(message: Message) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0]["fields"]}


async def answered(ix: Any) -> Any:
    await ix.wait_until(lambda i: i.original is not None and not i.original.loading,
                        timeout=TIMEOUT)
    return ix


async def imagine(world: World, user: Any, last_word: str) -> Any:
    """flux-dev at 0.25 MP (one credit); waits for the image and the member's last word
    (which names the balance left)."""
    ix = await world.discord.slash(world.general, user, "imagine", prompt="a small cat",
                                   model="flux-dev", megapixels="0.25")
    posted = len(results(world.general)) + 1
    await world.discord.wait_until(lambda: len(results(world.general)) == posted,
                                   timeout=TIMEOUT)
    await ix.wait_until(lambda i: last_word in str(i.original.content), timeout=TIMEOUT)
    return ix


@pytest.mark.parametrize("locale", list(SAID))
async def test_each_language_is_spoken_from_refusal_to_button(world: World, locale: str
                                                             ) -> None:
    said = SAID[locale]
    services = world.runner.services
    assert services is not None
    await services.guilds.set_allowance(world.guild.id, 1, None)
    admin = world.discord.add_user("local-admin", locale=locale,
                                   permissions=world.admin.permissions)
    member = world.discord.add_user("local-member", locale=locale)

    # The admin chooses the server's language, and is answered in their own.
    ix = await answered(await world.discord.slash(world.general, admin, "server", "language",
                                                  language=locale))
    assert said["set"] in private_text(ix), private_text(ix)

    ix = await imagine(world, member, said["left"])
    assert private_text(ix).startswith(said["done"]), private_text(ix)
    # The private progress message's last word, in the member's language.
    assert said["left"] in private_text(ix), private_text(ix)
    # The public result: its embed and its buttons in the server's language.
    result = results(world.general)[-1]
    shown = fields(result)
    assert shown[said["cost"]] == said["one"], shown
    assert said["balance"] in shown.values(), shown
    assert said["reroll"] in labels(result), labels(result)

    # Out of credits: the refusal, privately, in the member's language.
    refused = await answered(await world.discord.slash(
        world.general, member, "imagine", prompt="another cat", model="flux-dev",
        megapixels="0.25"))
    assert said["refusal"] in private_text(refused), private_text(refused)


async def test_a_member_reads_their_language_and_the_channel_the_servers(world: World
                                                                         ) -> None:
    services = world.runner.services
    assert services is not None
    await services.admin.set_language(world.guild.id, "de")
    ix = await imagine(world, world.alice, "left")  # alice's Discord is in English
    assert "You have 49 credits left." in private_text(ix), private_text(ix)
    result = results(world.general)[-1]
    assert fields(result)["Kosten"] == "1 Credit"
    assert {"Neu würfeln", "Bearbeiten", "Löschen"} <= labels(result), labels(result)

    # A language fluxcord does not have reads English.
    italian = world.discord.add_user("italian", locale="it")
    delete = next(str(c["custom_id"]) for c in walk_components(result.components)
                  if c.get("label") == "Löschen")
    refused = await answered(await world.discord.click(result, delete, italian))
    assert private_text(refused).startswith("Only the member who asked for this image")


async def test_registered_commands_carry_their_translated_descriptions(world: World) -> None:
    commands = world.discord.commands
    imagine = next(c for c in commands if c["name"] == "imagine")
    assert imagine["description_localizations"] == {
        "de": "Erstelle ein Bild mit einem FLUX-Modell",
        "fr": "Génère une image avec un modèle FLUX",
        "es-ES": "Genera una imagen con un modelo FLUX",
        "pt-BR": "Gere uma imagem com um modelo FLUX",
    }
    prompt = next(o for o in imagine["options"] if o["name"] == "prompt")
    assert prompt["description_localizations"]["de"] == "Was gezeichnet werden soll"

    # Every command and option, in every language; names stay as they are.
    def described(items: list[dict[str, Any]]) -> Any:
        for item in items:
            if item.get("type", 1) in (1, 2) or "description" in item:
                yield item
            yield from described(item.get("options") or [])

    for item in described([c for c in commands if c.get("type", 1) == 1]):
        found = item.get("description_localizations") or {}
        assert set(found) == {"de", "fr", "es-ES", "pt-BR"}, (item["name"], found)
        assert item.get("name_localizations") in (None, {}), item["name"]


async def test_a_tools_button_and_a_blend_refusal_speak_german(world: World) -> None:
    services = world.runner.services
    assert services is not None
    await services.admin.set_language(world.guild.id, "de")
    await imagine(world, world.alice, "left")
    # The tools' buttons under the result, in the server's language.
    result = results(world.general)[-1]
    assert {"Variieren (leicht)", "Variieren (stark)"} <= labels(result), labels(result)

    # A /blend refusal, privately, in the member's language.
    member = world.discord.add_user("blend-member", locale="de")
    notes = world.discord.register_attachment(b"just some words", "notes.txt", "text/plain")
    refused = await answered(await world.discord.slash(
        world.general, member, "blend", prompt="mix them", image1=notes))
    assert private_text(refused) == ("`image1` ist kein lesbares Bild: hänge ein PNG-, "
                                     "JPEG- oder WebP-Bild an. Nichts wurde berechnet."), \
        private_text(refused)
