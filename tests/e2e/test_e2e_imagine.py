"""/imagine end to end: the real discord.py client, the Discord stand-in, the provider
stand-ins, a real SQLite file."""

from __future__ import annotations

import re

import pytest

from tests.support.e2e_fixtures import World, decode, private_text, results, settled
from tests.support.standins.images import make_image

pytestmark = pytest.mark.asyncio

TIMEOUT = 15.0


async def imagine(world: World, user=None, channel=None, **options):  # type: ignore[no-untyped-def]
    return await world.discord.slash(
        channel or world.general, user or world.alice, "imagine", **options
    )


@pytest.mark.parametrize(
    ("model", "options", "provider", "size", "fmt"),
    [
        ("flux-1.1-pro", {"aspect_ratio": "custom", "width": 512, "height": 768,
                          "output_format": "png"}, "apiframe", (512, 768), "PNG"),
        ("flux-pro", {"width": 640, "height": 384, "output_format": "jpg", "steps": 30,
                      "guidance": 4.5}, "onemin", (640, 384), "JPEG"),
        ("flux-2-pro", {"aspect_ratio": "16:9", "output_format": "png", "steps": 20,
                        "guidance": 3.0}, "onemin", None, "PNG"),
        ("flux-dev", {"megapixels": "0.25", "steps": 12, "go_fast": True}, "onemin", None,
         "WEBP"),
    ],
)
async def test_each_model_posts_its_image_publicly(
    world: World, model: str, options: dict, provider: str, size: tuple | None, fmt: str
) -> None:
    ix = await settled(await imagine(world, prompt="a lighthouse at dusk", model=model,
                                      seed=42, **options))
    posted = results(world.general)
    assert len(posted) == 1, private_text(ix)
    message = posted[0]
    assert not message.ephemeral
    image = decode(message)
    assert image.format == fmt
    if size is not None:
        assert image.size == size
    if options.get("aspect_ratio") == "16:9":
        assert abs(image.size[0] / image.size[1] - 16 / 9) < 0.05
    embed = message.embeds[0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Seed"] == "42"
    assert fields["Size"] == f"{image.size[0]}×{image.size[1]}"
    assert re.fullmatch(r"1 credit|\d+ credits", fields["Cost"]), fields["Cost"]
    assert message.attachments[0].filename.endswith(
        {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}[fmt]
    )
    assert sorted(message.custom_ids()) == sorted(
        f"fluxcord:{b}:{message.custom_ids()[0].rsplit(':', 1)[1]}"
        for b in ("reroll", "edit", "delete", "board-add", "edit-image",
                  "tool:vary-subtle", "tool:vary-strong")
    )
    # The provider got the request the user asked for, under its own names.
    standin = getattr(world.providers, provider)
    body = standin.generation_bodies()[-1]
    assert "a lighthouse at dusk" in str(body)
    assert "42" in str(body)
    if model == "flux-dev":
        prompt_object = body["promptObject"]
        assert prompt_object["num_inference_steps"] == 12
        assert prompt_object["megapixels"] == "0.25"
        assert prompt_object["disable_safety_checker"] is False
    # The member's private message now says it is done.
    assert "Done" in private_text(ix)


async def test_result_shows_the_image_in_its_embed_and_done_links_to_it(world: World) -> None:
    ix = await settled(await imagine(world, prompt="a lighthouse", model="flux-pro", width=640,
                                      height=384, steps=30, guidance=4.5, output_format="png"))
    message = results(world.general)[0]
    embed = message.embeds[0]
    assert embed["image"]["url"] == message.attachments[0].url  # inside the embed
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Parameters"] == "30 steps · guidance 4.5 · PNG"
    await ix.wait_until(lambda ix: "left" in str(ix.original.content), timeout=TIMEOUT)
    text = private_text(ix)
    assert f"/channels/{world.guild.id}/{world.general.id}/{message.id}" in text
    assert text.endswith("You have 45 credits left.")


async def test_a_prompt_is_shown_as_typed_and_sent_as_typed(world: World) -> None:
    prompt = f"**neon** fox <#{world.general.id}> <@{world.bob.id}> @everyone\n1. first"
    await settled(await imagine(world, prompt=prompt, model="flux-pro"))
    embed = results(world.general)[0].embeds[0]
    # No markup, no mention of a member, a channel or everyone, no numbered list.
    assert embed["description"] == (
        f"\\*\\*neon\\*\\* fox <\u200b#{world.general.id}> <\u200b@\u200b{world.bob.id}> "
        "@\u200beveryone\n1\\. first")
    (body,) = world.providers.onemin.generation_bodies()
    assert body["promptObject"]["prompt"] == prompt  # the provider gets it as typed


async def test_refusals_are_private_and_cost_nothing(world: World) -> None:
    cases = [
        ({"model": "flux-2-pro", "width": 512}, "does not take `width`"),
        ({"model": "flux-2-pro", "steps": 10}, "15-50"),
        # Only BFL takes it for flux-dev, and BFL is not set up here.
        ({"model": "flux-dev", "safety_tolerance": 1}, "does not take `safety_tolerance`"),
        ({"model": "flux-pro", "safety_tolerance": 4}, "cap of 2"),
        ({"model": "flux-2-pro", "aspect_ratio": "custom"}, "aspect_ratio"),
    ]
    services = world.runner.services
    assert services is not None
    before = await services.credits.balance(world.guild.id, world.alice.id)
    for options, expected in cases:
        ix = await settled(await imagine(world, prompt="a cat", **options))
        assert expected in private_text(ix), options
        assert ix.followups == [] or all(m.ephemeral for m in ix.followups)
    assert results(world.general) == []
    after = await services.credits.balance(world.guild.id, world.alice.id)
    assert after.total == before.total
    assert world.providers.total_generations() == 0


async def test_input_attachment_that_is_not_an_image_is_refused(world: World) -> None:
    text = world.discord.register_attachment(b"hello", "notes.txt", "text/plain")
    ix = await settled(await imagine(world, prompt="a cat", model="flux-dev", image=text))
    assert "PNG, JPEG or WebP" in private_text(ix)
    assert world.providers.total_generations() == 0


async def test_image_prompt_is_uploaded_to_the_asset_api(world: World) -> None:
    picture = world.discord.register_attachment(make_image(64, 64, "png"), "ref.png",
                                                "image/png")
    ix = await settled(await imagine(world, prompt="same, in winter", model="flux-dev",
                                      image=picture))
    assert len(results(world.general)) == 1, private_text(ix)
    assert world.providers.onemin.recorded("/api/assets", "POST")
    body = world.providers.onemin.generation_bodies()[-1]
    assert body["promptObject"]["image_prompt"]


async def test_out_of_credits_is_private_and_says_when(world: World) -> None:
    services = world.runner.services
    assert services is not None
    await services.guilds.set_allowance(world.guild.id, 3, None)
    ix = await settled(await imagine(world, prompt="a cat", model="flux-pro"))
    text = private_text(ix)
    assert "credits" in text and "<t:" in text
    assert results(world.general) == []
    assert world.providers.total_generations() == 0


async def test_provider_failure_refunds_and_explains(world: World) -> None:
    services = world.runner.services
    assert services is not None
    world.providers.onemin.inject("server_error", times=10, status=502)
    before = await services.credits.balance(world.guild.id, world.alice.id)
    ix = await settled(await imagine(world, prompt="a cat", model="flux-dev"))
    assert "unavailable" in private_text(ix) and "credits are back" in private_text(ix)
    after = await services.credits.balance(world.guild.id, world.alice.id)
    assert after.total == before.total
    assert results(world.general) == []


async def test_discord_refusing_the_upload_refunds(world: World) -> None:
    services = world.runner.services
    assert services is not None
    before = await services.credits.balance(world.guild.id, world.alice.id)
    world.providers.onemin.inject("large_image", times=1)
    ix = await imagine(world, prompt="a cat", model="flux-dev")
    # Discord now holds this interaction to a lower limit than the one it told the bot,
    # so the ~1 MB upload is answered 413.
    ix.payload["attachment_size_limit"] = 100_000
    await settled(ix)
    assert "Discord did not accept the image" in private_text(ix)
    assert "credits are back" in private_text(ix)
    assert results(world.general) == []
    after = await services.credits.balance(world.guild.id, world.alice.id)
    assert after.total == before.total


async def test_input_image_too_large_is_refused_before_charging(world: World) -> None:
    big = world.discord.register_attachment(b"\x89PNG" + bytes(11 * 2**20), "huge.png",
                                            "image/png")
    ix = await settled(await imagine(world, prompt="a cat", model="flux-dev", image=big))
    assert "too large" in private_text(ix)
    assert world.providers.total_generations() == 0


async def test_moderated_prompt_is_explained_in_users_terms(world: World) -> None:
    ix = await settled(await imagine(world, prompt="something forbidden", model="flux-2-pro"))
    text = private_text(ix)
    assert "content policy" in text
    assert "{" not in text  # never a provider's raw body


async def test_progress_shows_queue_position_then_generating(world: World) -> None:
    # Two jobs in flight per member: the third waits in the queue.
    world.providers.onemin.inject("slow", times=3, seconds=0.6)
    ixs = [await imagine(world, prompt=f"cat {n}", model="flux-dev") for n in range(3)]
    for ix in ixs:
        await settled(ix)
    seen = [str(h.get("content")) for h in ixs[2].original.history]
    assert any(s.startswith("Queued at position") for s in seen), seen
    assert any(s.startswith("Generating") for s in seen), seen
    assert len(results(world.general)) == 3


async def test_a_job_done_within_moments_edits_its_private_message_twice(world: World) -> None:
    # Done in about a second and a half: one edit says it is generating (the result can go
    # out as a message of its own only once "thinking…" is over), the last word links to
    # the image, and nothing else is asked of Discord.
    world.providers.onemin.inject("slow", times=1, seconds=1.4)
    ix = await settled(await imagine(world, prompt="a cat", model="flux-dev"))
    assert [what for _, what in ix.timeline] == [
        "callback 5", "PATCH @original", "followup", "PATCH @original"], ix.timeline
    before = [str(h.get("content")) for h in ix.original.history if h.get("content")]
    assert len(before) == 1 and before[0].startswith("Generating with"), before
    assert private_text(ix).startswith("Done:") and "/channels/" in private_text(ix)
    assert len(results(world.general)) == 1


async def test_reroll_edit_and_delete(world: World) -> None:
    await settled(await imagine(world, prompt="a red fox", model="flux-dev", seed=7))
    message = results(world.general)[0]
    job = message.custom_ids()[0].rsplit(":", 1)[1]

    reroll = await settled(await world.discord.click(message, f"fluxcord:reroll:{job}",
                                                      world.bob))
    assert len(results(world.general)) == 2, private_text(reroll)
    rerolled = results(world.general)[1]
    fields = {f["name"]: f["value"] for f in rerolled.embeds[0]["fields"]}
    assert fields["Seed"] != "7"
    assert "a red fox" in rerolled.embeds[0]["description"]

    edit = await world.discord.click(message, f"fluxcord:edit:{job}", world.alice)
    await edit.wait_until(lambda ix: ix.modal is not None, timeout=TIMEOUT)
    assert edit.modal is not None
    submitted = await settled(await world.discord.submit_modal(
        edit.modal["custom_id"], {"prompt": "a blue fox"}, world.alice, world.general
    ))
    assert len(results(world.general)) == 3, private_text(submitted)
    edited = results(world.general)[2]
    assert "a blue fox" in edited.embeds[0]["description"]

    refused = await world.discord.click(message, f"fluxcord:delete:{job}", world.bob)
    await refused.wait_for_ack(timeout=TIMEOUT)
    await refused.wait_until(lambda ix: ix.original is not None, timeout=TIMEOUT)
    assert "Only the member who asked" in private_text(refused)
    assert not message.deleted

    allowed = await world.discord.click(message, f"fluxcord:delete:{job}", world.alice)
    await allowed.wait_until(lambda ix: message.deleted, timeout=TIMEOUT)


async def test_moderator_may_delete_anyones_image(world: World) -> None:
    await settled(await imagine(world, prompt="a red fox", model="flux-dev"))
    message = results(world.general)[0]
    job = message.custom_ids()[0].rsplit(":", 1)[1]
    ix = await world.discord.click(message, f"fluxcord:delete:{job}", world.admin)
    await ix.wait_until(lambda ix: message.deleted, timeout=TIMEOUT)


async def test_delete_answers_every_click(world: World) -> None:
    await settled(await imagine(world, prompt="a red fox", model="flux-dev"))
    message = results(world.general)[0]
    job = message.custom_ids()[0].rsplit(":", 1)[1]
    # Both members click before the bot has removed it: one deletes, the other is told.
    clicks = [await world.discord.click(message, f"fluxcord:delete:{job}", user)
              for user in (world.alice, world.admin)]
    for ix in clicks:
        await ix.wait_until(lambda ix: ix.original is not None and not ix.original.loading,
                            timeout=TIMEOUT)
    answers = sorted(private_text(ix) for ix in clicks)
    assert answers == ["Deleted.", "That image is already deleted."]
    assert message.deleted


async def open_edit(world: World, message, job: str, user) -> str:  # type: ignore[no-untyped-def]
    """Clicks Edit as `user`; returns the custom_id of the modal they were shown."""
    edit = await world.discord.click(message, f"fluxcord:edit:{job}", user)
    await edit.wait_until(lambda ix: ix.modal is not None, timeout=TIMEOUT)
    assert edit.modal is not None
    return str(edit.modal["custom_id"])


async def test_two_members_editing_one_image_both_get_their_edit(world: World) -> None:
    await settled(await imagine(world, prompt="a red fox", model="flux-dev", seed=7))
    message = results(world.general)[0]
    job = message.custom_ids()[0].rsplit(":", 1)[1]
    alices = await open_edit(world, message, job, world.alice)
    bobs = await open_edit(world, message, job, world.bob)
    assert alices != bobs
    for custom_id, user, prompt in ((bobs, world.bob, "a blue fox"),
                                    (alices, world.alice, "a green fox")):
        ix = await settled(await world.discord.submit_modal(
            custom_id, {"prompt": prompt}, user, world.general))
        assert "Done" in private_text(ix), prompt
    prompts = sorted(m.embeds[0]["description"] for m in results(world.general)[1:])
    assert prompts == ["a blue fox", "a green fox"]


async def test_an_edit_submitted_after_a_restart_is_answered(world: World) -> None:
    await settled(await imagine(world, prompt="a red fox", model="flux-dev", seed=7))
    message = results(world.general)[0]
    job = message.custom_ids()[0].rsplit(":", 1)[1]
    custom_id = await open_edit(world, message, job, world.alice)
    await world.runner.restart()
    ix = await settled(await world.discord.submit_modal(
        custom_id, {"prompt": "a fox in the snow"}, world.alice, world.general))
    assert len(results(world.general)) == 2, private_text(ix)
    edited = results(world.general)[1]
    assert edited.embeds[0]["description"] == "a fox in the snow"
    assert {f["name"]: f["value"] for f in edited.embeds[0]["fields"]}["Seed"] == "7"


async def test_buttons_work_after_a_restart(world: World) -> None:
    await settled(await imagine(world, prompt="a red fox", model="flux-dev"))
    message = results(world.general)[0]
    job = message.custom_ids()[0].rsplit(":", 1)[1]
    await world.runner.restart()
    ix = await settled(await world.discord.click(message, f"fluxcord:reroll:{job}",
                                                  world.alice))
    assert len(results(world.general)) == 2, private_text(ix)


async def test_oversized_result_is_reencoded_to_fit(world: World) -> None:
    world.guild.filesize_limit_override = 400 * 1024  # a tiny upload limit for this channel
    world.providers.onemin.inject("large_image", times=1)
    ix = await settled(await imagine(world, prompt="noise", model="flux-pro",
                                      output_format="png", width=1440, height=1440))
    posted = results(world.general)
    assert len(posted) == 1, private_text(ix)
    assert posted[0].attachments[0].size <= 400 * 1024
    decode(posted[0])
    fields = {f["name"]: f["value"] for f in posted[0].embeds[0]["fields"]}
    assert "re-encoded to fit" in fields.get("Adjusted", "").lower()
    assert posted[0].attachments[0].filename.endswith(".webp")


async def test_a_result_whose_picture_cannot_be_read_is_refunded_not_posted(
    world: World,
) -> None:
    # Whole by its structure, so it passes the check on arrival; over the upload limit,
    # its pixels must be decoded to fit, and cannot be. Before, that was taken for an
    # upload Discord never confirmed, and left to recovery.
    world.guild.filesize_limit_override = 400 * 1024
    world.providers.onemin.inject("broken_image", times=1)
    services = world.runner.services
    assert services is not None
    before = await services.credits.balance(world.guild.id, world.alice.id)
    ix = await settled(await imagine(world, prompt="noise", model="flux-pro",
                                      output_format="png", width=1440, height=1440))
    assert results(world.general) == []
    said = private_text(ix)
    assert "The image provider failed." in said and "back" in said, said
    assert "did not confirm" not in said
    after = await services.credits.balance(world.guild.id, world.alice.id)
    assert after.total == before.total


async def test_job_outliving_its_token_still_delivers(world: World) -> None:
    world.discord.token_ttl = 0.5
    world.providers.onemin.inject("slow", times=1, seconds=1.0)
    ix = await imagine(world, prompt="a slow cat", model="flux-dev")
    await world.discord.wait_until(lambda: len(results(world.general)) == 1, timeout=TIMEOUT)
    posted = results(world.general)[0]
    assert f"<@{world.alice.id}>" in posted.content
    assert posted.webhook_id is None  # a channel message, not an interaction followup
    del ix


async def test_commands_are_registered_only_when_changed(world: World) -> None:
    puts = world.discord.command_puts
    assert puts == 1
    names = {c["name"] for c in world.discord.commands}
    assert {"imagine", "credits", "safety", "models", "default-model"} <= names
    imagine_command = next(c for c in world.discord.commands if c["name"] == "imagine")
    option_names = [o["name"] for o in imagine_command["options"]]
    assert option_names[0] == "prompt"
    assert set(option_names) == {
        "prompt", "model", "aspect_ratio", "width", "height", "steps", "guidance", "seed",
        "image", "prompt_strength", "output_format", "output_quality", "safety_tolerance",
        "prompt_upsampling", "megapixels", "go_fast", "board", "preset", "count",
    }
    assert all(o.get("description") for o in imagine_command["options"])
    await world.runner.restart()
    assert world.discord.command_puts == puts
