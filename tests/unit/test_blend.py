"""/blend's rules: which references go in which order, what is refused before any
charge, and a refused blend kept for its appeal with its references."""

from __future__ import annotations

import json
import re

import pytest

from bot.blend import MAX_REFERENCES, check_attachment, gather
from bot.credits.rows import Job, JobStatus
from bot.errors import UserError
from bot.jobs.request import Attachment, ImagineRequest, storable
from bot.jobs.resume import StoredImage
from bot.jobs.resume import _request as resume_request
from bot.moderation.screen import frozen_request, request_from_subject
from bot.providers.base import Submission


def ref(name: str, width: int | None = 640, height: int | None = 480,
        content_type: str | None = "image/png", size: int = 1000) -> Attachment:
    return Attachment(f"https://cdn.discordapp.com/attachments/1/2/{name}.png", f"{name}.png",
                      content_type, size, width=width, height=height, name=name)


def test_attachments_come_first_then_the_board_up_to_eight() -> None:
    attachments = [ref("image1"), ref("image2")]
    board = [ref(f"board image {n}") for n in range(9, 0, -1)]
    sent = gather(attachments, board)
    assert MAX_REFERENCES == 8
    assert [r.name for r in sent] == ["image1", "image2", "board image 9", "board image 8",
                                      "board image 7", "board image 6", "board image 5",
                                      "board image 4"]


def test_a_ninth_reference_is_refused_by_name() -> None:
    with pytest.raises(UserError, match="`image9` would be reference image 9"):
        gather([ref(f"image{n}") for n in range(1, 10)], [])


@pytest.mark.parametrize(("attachment", "says"), [
    (ref("image2", content_type="text/plain"), "`image2` is not a picture"),
    (ref("image3", width=None, height=None), "`image3` is not a picture"),
    (ref("image2", size=11 * 2**20), "`image2` is too large"),
    (ref("image4", width=5000, height=4000), "`image4` is 5000×4000 pixels"),
])
def test_what_discord_says_of_a_file_is_judged_at_once(attachment: Attachment, says: str
                                                       ) -> None:
    with pytest.raises(UserError, match=re.escape(says)):
        check_attachment(attachment, 16_000_000)


def test_a_refused_blend_keeps_its_references_for_the_appeal() -> None:
    request = ImagineRequest(guild_id=1, channel_id=2, user_id=3, prompt="mix", model="blend",
                             references=(ref("image1"), ref("board image 4")))
    kept = json.loads(json.dumps(frozen_request(request, "blend")))
    again = request_from_subject(kept)
    assert again.references == request.references
    assert again.frozen and again.model == "blend"


def test_a_blend_job_is_polled_again_at_bfl_after_a_restart() -> None:
    options = storable({"aspect_ratio": "3:2"}, None, references=[ref("image1"), ref("image2")])
    job = Job(id="job-blend", guild_id=1, channel_id=2, user_id=3, model="blend",
              prompt="mix", options=options, seed=5, cost=6, allowance_part=6, bonus_part=0,
              budget_day="2026-12-07", period_start=0, status=JobStatus.GENERATING,
              provider="bfl", message_id=None, error=None, created_at=0.0, updated_at=0.0)
    submission = Submission("bfl", "task-1", "https://api.bfl.ai/v1/get_result?id=task-1")

    request = resume_request(job, StoredImage(0, submission))

    assert request.plan.providers == ["bfl"]
    assert request.resume == submission
