"""The result's public embed shows what the member typed as text, and stays within
Discord's limits however long that text is once escaped."""

from __future__ import annotations

from bot.catalogue import MODELS
from bot.jobs.request import Attachment, ImagineRequest
from bot.providers.base import GeneratedImage
from cogs.common.job.embed import EMBED_MAX, result_embed
from cogs.common.job.part import name_variant

IMAGE = GeneratedImage(b"", "png", 1024, 1024, seed=7, provider="bfl")


def test_a_prompt_that_doubles_when_escaped_is_cut_to_fit_the_whole_embed() -> None:
    # Every character of these needs a backslash: each is twice as long shown.
    source = Attachment("https://cdn.example/x.png", "_" * 250 + ".png", "image/png", 1000)
    request = ImagineRequest(1, 2, 3, "*" * 2000, model="flux-2-pro-edit", attachment=source,
                             preset="~" * 30, board="|" * 50)
    embed = result_embed(MODELS["flux-2-pro-edit"], request, "a" * 32, IMAGE, cost=5,
                         balance=10, notes=())
    name_variant(embed, "_" * 1000)
    embed.set_author(name="m" * 32)

    assert len(embed) <= EMBED_MAX  # Discord refuses a bigger embed: the post would fail
    description = embed.description or ""
    assert description.startswith("\\*\\*") and description.endswith("…")
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Preset"] == "\\~" * 30 and fields["Board style"] == "\\|" * 50


def test_a_short_prompt_is_shown_whole() -> None:
    request = ImagineRequest(1, 2, 3, "a **bold** fox", model="flux-pro")
    embed = result_embed(MODELS["flux-pro"], request, "a" * 32, IMAGE, cost=5, balance=10,
                         notes=())
    assert embed.description == "a \\*\\*bold\\*\\* fox"
