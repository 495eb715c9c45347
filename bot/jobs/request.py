"""What a job is asked to do: the request as a command or a stored job gives it, its
input image, its progress, and the request checked and ready to run; with their JSON
forms (the job row's options, a refused request frozen for its appeal)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.catalogue import Model
from bot.catalogue.plan import Plan
from bot.i18n import Text, join, tr
from bot.providers.base import InputImage

MAX_INPUT_BYTES = 10 * 1024 * 1024
# The most images one job makes (`/imagine count`).
COUNT_MAX = 4


@dataclass(frozen=True, slots=True)
class Attachment:
    """An image prompt as Discord describes it, before it is downloaded."""

    url: str
    filename: str
    content_type: str | None
    size: int
    # The earlier job whose kept copy of this image serves once Discord's URL expired.
    kept_job: str | None = None
    # The image's bytes when the bot already has them (a posted result): no download.
    data: bytes | None = field(default=None, repr=False, compare=False)
    # The size Discord measured (None when it gave none), and the option's name for the
    # member's messages (`image1` of /blend).
    width: int | None = None
    height: int | None = None
    name: str = "image"


@dataclass(frozen=True, slots=True)
class ReplyRef:
    """How to answer a member through their interaction after a restart. `token` is a
    secret, kept out of repr."""

    application_id: int
    token: str
    expires_at: float  # epoch seconds

    def __repr__(self) -> str:
        return f"ReplyRef(application_id={self.application_id}, expires_at={self.expires_at})"


@dataclass(frozen=True, slots=True)
class ImagineRequest:
    guild_id: int  # 0 in direct messages
    channel_id: int
    user_id: int
    prompt: str
    model: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    attachment: Attachment | None = None
    seed: int | None = None
    # The moderators approved this prompt on appeal: the blocklist is not checked again.
    appeal_approved: bool = False
    # The moodboard whose style fills the options the member did not set.
    board: str | None = None
    # The member's roles as the interaction carried them: their role tier applies.
    role_ids: tuple[int, ...] = ()
    # One of the member's presets, by name; its options fill what the command left unset.
    preset: str | None = None
    # Set once the options are resolved: some value came from the member's preferences.
    preferences_applied: bool = False
    # Images in the job, each a provider call with its own seed (`/imagine count`).
    count: int = 1
    # Prompt, model and options are final (an approved appeal runs what the moderators
    # saw): no preset, board style or preference is applied again.
    frozen: bool = False
    # Reference images in order (/blend), each checked like `attachment`.
    references: tuple[Attachment, ...] = ()
    # The job whose result this one remakes (Reroll, Edit, Edit image, a tool): deleted
    # while the member was asked to confirm the cost, it is not remade.
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    state: str  # "queued" or "generating"
    position: int = 0
    started_at: float = 0.0
    # The job reserved: Cancel names it while queued, Try again if a stop ends it.
    job_id: str = ""


@dataclass(slots=True)
class Prepared:
    """A request that passed every check before the reservation (the input image, when
    there is one, is downloaded and checked only once the member's limit admits the job)."""

    request: ImagineRequest
    model: Model
    options: dict[str, Any]
    cap: int
    seed: int
    cost: int
    image: InputImage | None
    # The options checked against the catalogue once, as each provider will take them.
    plan: Plan
    # What the bot changed of the request before running it, for the result's embed.
    notes: tuple[str, ...] = ()
    # Whether the server had a log channel when the job was read (None: not known).
    log_channel: bool | None = None
    # The reference images, downloaded and checked once the member's limit admits the job.
    references: tuple[InputImage, ...] = ()
    # When `cap` was read (time.monotonic()); 0: never, so it is read again at the start.
    cap_read_at: float = 0.0
    # The locale of the server's shared texts, read with the job (None: not read).
    language: str | None = None

    @property
    def unit_cost(self) -> int:
        """What one image of the job costs (`cost` is for all of them)."""
        return self.cost // self.request.count


# What a click on, or a job from, a deleted result reads.
DELETED = tr("That image was deleted; nothing of it is kept.")


class DeliveryError(Exception):
    """Discord clearly refused the result (a 4xx answer to the upload), or it could not be
    made to fit the channel's upload limit: it is not posted."""

    # Why the job was refunded, for the ledger.
    refund_reason = "Discord refused the upload"

    def told(self, back: Text) -> Text:
        """What the member reads, `back` saying their credits are back."""
        return tr("Discord did not accept the image. {back}", back=back)


class UnreadableResult(DeliveryError):
    """The provider's image is whole by its structure, but its picture cannot be decoded
    to fit the channel's upload limit: it is not posted, and the provider is to blame."""

    refund_reason = "the provider's image could not be decoded"

    def told(self, back: Text) -> Text:
        return join([tr("The image provider failed."), back], " ")


def storable(options: Mapping[str, Any], attachment: Attachment | None,
              count: int = 1, references: Sequence[Attachment] = ()) -> dict[str, Any]:
    """The options as JSON for the job row; the input image as its Discord reference;
    the number of images when more than one (Reroll makes as many); the reference images
    as their Discord references."""
    stored = {k: v for k, v in options.items() if k != "image"}
    if count > 1:
        stored["count"] = count
    if attachment is not None:
        stored["image"] = {
            "url": attachment.url,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
        }
    if references:
        stored["references"] = [
            {"url": r.url, "filename": r.filename, "content_type": r.content_type,
             "size": r.size, "width": r.width, "height": r.height, "name": r.name}
            for r in references
        ]
    return stored


def references_from_stored(options: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """A stored job's reference images (/blend), in order."""
    refs = options.get("references")
    if not isinstance(refs, list):
        return ()
    return tuple(
        Attachment(r["url"], r["filename"], r.get("content_type"), int(r["size"]),
                   width=r.get("width"), height=r.get("height"), name=r.get("name", "image"))
        for r in refs if isinstance(r, dict)
    )


def attachment_from_stored(options: Mapping[str, Any], job_id: str | None = None
                           ) -> Attachment | None:
    """A stored job's input image; `job_id` names the job whose kept copy may serve."""
    ref = options.get("image")
    if not isinstance(ref, dict):
        return None
    return Attachment(ref["url"], ref["filename"], ref.get("content_type"), int(ref["size"]),
                      kept_job=job_id)
