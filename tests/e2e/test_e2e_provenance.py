"""Where a result came from, through the real bot: the embed says it is AI-generated, by
which model and provider; a provider's C2PA-signed file reaches Discord byte for byte, and
when it must shrink for the upload limit the embed says its credentials were lost."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot import provenance
from tests.support.c2pa_signing import TRAINED, make_credentials, read, sign
from tests.support.e2e_fixtures import World, make_world, private_text, results, settled
from tests.support.standins.discord_api import DiscordStandIn, Message
from tests.support.standins.images import sized_noise_image
from tests.support.standins.providers import ProviderStandIns

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def bfl_world(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[World]:
    bfl = {"BFL_API_KEY": provider_standins.bfl.api_key,
           "BFL_BASE_URL": provider_standins.bfl.base_url}
    async for world in make_world(tmp_path, discord_standin, provider_standins, **bfl):
        yield world


def serve(world: World, data: bytes) -> None:
    """BFL's stand-in answers every task with exactly `data`, as BFL serves the file it
    signed."""
    world.providers.bfl.result_image = lambda *args, **kwargs: data  # type: ignore[method-assign]
    world.providers.onemin.inject("no_credit", times=10)  # flux-pro goes to BFL


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(out, "PNG")
    return out.getvalue()


async def test_a_signed_provider_file_reaches_discord_byte_for_byte(bfl_world: World) -> None:
    world = bfl_world
    credentials = make_credentials()
    signed = sign(png(1024, 768), "image/png", credentials)
    assert provenance.has_credentials(signed)
    serve(world, signed)

    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="a heron", model="flux-pro"))
    (posted,) = results(world.general)
    assert posted.attachments[0].data == signed, private_text(ix)
    # PNG was asked for (none chosen), so the credentials survive Discord.
    (submit,) = world.providers.bfl.recorded("/v1/flux-pro", "POST")
    assert submit.json["output_format"] == "png"
    manifest, state = read(posted.attachments[0].data, "image/png")
    assert manifest is not None and state in ("Valid", "Trusted")
    actions = next(a for a in manifest["assertions"]  # type: ignore[union-attr]
                   if a["label"].startswith("c2pa.actions"))
    assert actions["data"]["actions"][0]["digitalSourceType"] == TRAINED

    embed = posted.embeds[0]
    assert embed["footer"]["text"].startswith("AI-generated image: FLUX.1 [pro] via BFL")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "credentials" not in fields.get("Adjusted", "")


async def test_a_signed_file_that_must_shrink_says_its_credentials_were_lost(
    bfl_world: World,
) -> None:
    world = bfl_world
    world.guild.filesize_limit_override = 400 * 1024
    signed = sign(sized_noise_image(900 * 1024, "png"), "image/png", make_credentials())
    serve(world, signed)

    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="noise", model="flux-pro"))
    (posted,) = results(world.general)
    assert posted.attachments[0].size <= 400 * 1024, private_text(ix)
    assert read(posted.attachments[0].data, "image/webp")[0] is None
    fields = {f["name"]: f["value"] for f in posted.embeds[0]["fields"]}
    assert "re-encoded to fit" in fields["Adjusted"].lower()
    assert provenance.CREDENTIALS_LOST in fields["Adjusted"]
    assert posted.embeds[0]["footer"]["text"].startswith("AI-generated image:")


async def test_an_unsigned_file_that_shrinks_claims_no_lost_credentials(
    bfl_world: World,
) -> None:
    world = bfl_world
    world.guild.filesize_limit_override = 400 * 1024
    serve(world, sized_noise_image(900 * 1024, "png"))
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                            prompt="noise", model="flux-pro"))
    (posted,) = results(world.general)
    fields = {f["name"]: f["value"] for f in posted.embeds[0]["fields"]}
    assert "re-encoded to fit" in fields["Adjusted"].lower()
    assert "credentials" not in fields["Adjusted"]


@pytest.fixture
async def signing_world(
    tmp_path: Path, discord_standin: DiscordStandIn, provider_standins: ProviderStandIns
) -> AsyncIterator[World]:
    ours = make_credentials("Operator Test Org")
    (tmp_path / "c2pa-chain.pem").write_bytes(ours.chain)
    (tmp_path / "c2pa-key.pem").write_bytes(ours.key)
    settings = {"BFL_API_KEY": provider_standins.bfl.api_key,
                "BFL_BASE_URL": provider_standins.bfl.base_url,
                "C2PA_SIGN_CERT": str(tmp_path / "c2pa-chain.pem"),
                "C2PA_SIGN_KEY": str(tmp_path / "c2pa-key.pem")}
    async for world in make_world(tmp_path, discord_standin, provider_standins, **settings):
        yield world


async def check_provenance(world: World, message: Message) -> str:
    ix = await world.discord.message_command(world.general, world.bob, "Check provenance",
                                             message)
    await ix.wait_until(lambda ix: ix.original is not None and not ix.original.loading,
                        timeout=15.0)
    return private_text(ix)


async def test_a_signed_result_is_read_back_by_c2pa_and_by_check_provenance(
    signing_world: World,
) -> None:
    world = signing_world
    bfl_signed = sign(png(1024, 768), "image/png", make_credentials("Provider Test Org"))
    serve(world, bfl_signed)
    ix = await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                                 prompt="a heron", model="flux-pro", seed=9))
    (posted,) = results(world.general)
    data = posted.attachments[0].data
    assert data != bfl_signed, private_text(ix)  # the bot's manifest was added

    # c2pa.Reader: signed by the operator, made by AI, with the model, provider and seed,
    # from BFL's signed file as its parent.
    manifest, state = read(data, "image/png")
    assert manifest is not None and state in ("Valid", "Trusted")
    assert manifest["signature_info"]["issuer"] == "Operator Test Org"  # type: ignore[index]
    assertions = {a["label"]: a["data"] for a in manifest["assertions"]}  # type: ignore[union-attr]
    assert assertions["org.fluxcord.generation"] == {"model": "flux-pro", "provider": "BFL",
                                                     "seed": 9}
    action = next(v for k, v in assertions.items() if k.startswith("c2pa.actions"))
    assert action["actions"][0]["action"] == "c2pa.created"
    assert action["actions"][0]["digitalSourceType"] == TRAINED
    (parent,) = manifest["ingredients"]  # type: ignore[misc]
    assert parent["relationship"] == "parentOf" and parent.get("active_manifest")

    answer = await check_provenance(world, posted)
    assert "signed by Operator Test Org" in answer
    assert "made by AI, model FLUX.1 [pro], provider BFL" in answer
    assert "the signature holds" in answer and "no C2PA trust list" in answer
    assert "Made from an image signed by Provider Test Org" in answer


async def test_check_provenance_says_when_there_is_none(bfl_world: World) -> None:
    world = bfl_world
    serve(world, png(1024, 768))
    await settled(await world.discord.slash(world.general, world.alice, "imagine",
                                            prompt="a crane", model="flux-pro"))
    (posted,) = results(world.general)
    assert "no content credentials" in await check_provenance(world, posted)
