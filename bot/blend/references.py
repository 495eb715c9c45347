"""Which reference images a /blend job sends, in which order, and the checks each passes
before anything is charged.

The attachments come first (`image1` ... `image4`), then the board's most recent images,
up to the catalogue's cap (BFL's `input_image` ... `input_image_8`). What Discord tells of
an attachment (its type, size and measured pixels) is judged here at once, so a refusal
names the file before the job is priced; the bytes are judged by their header once the
job is admitted (bot/jobs/service.py), as /imagine's `image` is.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.catalogue import MODELS
from bot.errors import UserError
from bot.i18n import tr
from bot.jobs.request import MAX_INPUT_BYTES, Attachment

# The catalogue's blend of references (cost key and route `blend`).
MODEL = "blend"
MAX_REFERENCES = MODELS[MODEL].references
_PICTURES = ("image/png", "image/jpeg", "image/webp")


def check_attachment(attachment: Attachment, max_pixels: int) -> None:
    """Refuses, naming the option, an attachment that cannot be a reference: not a PNG,
    JPEG or WebP picture Discord could measure, over the size limit, or over
    `max_pixels` (MAX_INPUT_PIXELS)."""
    name = attachment.name
    kind = (attachment.content_type or "").split(";")[0].strip().lower()
    if kind not in _PICTURES or not attachment.width or not attachment.height:
        raise UserError(tr("`{name}` is not a picture that can be read: attach a PNG, JPEG "
                           "or WebP image. Nothing was charged.", name=name))
    if attachment.size > MAX_INPUT_BYTES:
        raise UserError(tr("`{name}` is too large: at most {mb} MB. Nothing was charged.",
                           name=name, mb=MAX_INPUT_BYTES // 2**20))
    if attachment.width * attachment.height > max_pixels:
        millions = f"{max_pixels / 1e6:g}"
        raise UserError(tr(
            "`{name}` is {width}×{height} pixels; at most {millions} million pixels are "
            "accepted. Scale it down and try again. Nothing was charged.",
            name=name, width=attachment.width, height=attachment.height, millions=millions))


def gather(attachments: Sequence[Attachment], board: Sequence[Attachment]
           ) -> tuple[Attachment, ...]:
    """The references in the order they are sent: the attachments, then as many of the
    board's images (newest first) as fit under MAX_REFERENCES. More attachments than
    that are refused, naming the first one over."""
    if len(attachments) > MAX_REFERENCES:
        over = attachments[MAX_REFERENCES]
        raise UserError(tr("`{name}` would be reference image {number}; FLUX.2 [pro] takes "
                           "at most {most}. Nothing was charged.", name=over.name,
                           number=MAX_REFERENCES + 1, most=MAX_REFERENCES))
    room = MAX_REFERENCES - len(attachments)
    return (*attachments, *board[:room])
