"""Finding a lost submit upstream: only the very request we sent is adopted.

A create whose answer was lost may have made a video the host bills for; adopting it
pays once. Adopting the wrong one (another size or length, someone else's remix) would
show the user a video they did not ask for, and submit nothing for what they did. Found
by `make mutants`; against the emulator over HTTP.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from videos import lost_submits, services, sora
from videos.models import Video
from videos.tests.helpers import image_upload

pytestmark = pytest.mark.django_db

Status = Video.Status
PROMPT = "Twin lighthouses trading beams across a bay"


def lost(make_video, user, **fields) -> Video:
    """A pending video whose submit was sent a moment ago and never answered."""
    return make_video(
        user,
        prompt=fields.pop("prompt", PROMPT),
        submit_attempted_at=timezone.now() - timedelta(seconds=2),
        **fields,
    )


def submit(**overrides) -> sora.UpstreamVideo:
    params = {"prompt": PROMPT, "model": "sora-2", "size": "1280x720", "seconds": 4}
    return sora.submit_video(**{**params, **overrides})


@pytest.mark.parametrize(
    "differs",
    [
        {"size": "720x1280"},
        {"seconds": 8},
        {"prompt": "Twin lighthouses trading beams across a lake"},
    ],
    ids=["size", "seconds", "prompt"],
)
def test_a_lookalike_that_differs_in_one_setting_is_not_ours(
    user, make_video, emulator, differs
):
    submit(**differs)
    video = lost(make_video, user)
    assert lost_submits.find_lost_submission(video) is None


def test_a_lookalike_of_another_model_is_not_ours(user, make_video, emulator):
    submit(model="sora-2")
    video = lost(make_video, user, model="sora-2-pro")
    assert lost_submits.find_lost_submission(video) is None


def test_the_same_request_is_found(user, make_video, emulator):
    submit(size="720x1280")
    ours = submit()
    video = lost(make_video, user)
    found = lost_submits.find_lost_submission(video)
    assert found is not None and found.id == ours.id


def test_surrounding_spaces_do_not_hide_our_prompt(user, make_video, emulator):
    ours = submit(prompt=f"  {PROMPT}\n")
    video = lost(make_video, user)
    found = lost_submits.find_lost_submission(video)
    assert found is not None and found.id == ours.id


def test_a_model_snapshot_of_ours_matches_but_another_model_does_not(user, make_video):
    video = lost(make_video, user)

    def candidate(model: str) -> sora.UpstreamVideo:
        return sora.UpstreamVideo(
            id="video_x",
            status="queued",
            progress=0,
            model=model,
            size=video.size,
            seconds=video.seconds,
            prompt=video.prompt,
            created_at=timezone.now(),
        )

    assert lost_submits._same_request(
        video, candidate("sora-2-2025-10-06"), source_id=None
    )
    assert not lost_submits._same_request(video, candidate("sora-2pro"), source_id=None)
    assert not lost_submits._same_request(video, candidate("sora"), source_id=None)


def test_a_video_another_row_adopted_is_not_found_again(user, make_video, emulator):
    taken = submit()
    make_video(user, prompt=PROMPT, status=Status.QUEUED, openai_video_id=taken.id)
    video = lost(make_video, user)
    assert lost_submits.find_lost_submission(video) is None


def test_a_lost_remix_is_found_only_among_remixes_of_its_source(
    user, make_video, completed_video, emulator
):
    source = completed_video(user)
    submit()  # the same words, but a fresh create: not a remix
    ours = sora.remix_video(source.openai_video_id, prompt=PROMPT)
    video = lost(make_video, user, remixed_from=source)
    found = lost_submits.find_lost_submission(video)
    assert found is not None and found.id == ours.id


def test_a_remix_whose_source_row_is_gone_has_no_source_id(user, make_video):
    source = make_video(user, status=Status.COMPLETED, openai_video_id="video_src")
    remix = make_video(user, remixed_from=source)
    assert lost_submits.remix_source_id(remix) == "video_src"
    assert lost_submits.remix_source_id(make_video(user)) is None


def test_a_host_that_cannot_list_cannot_reconcile(user, make_video, settings):
    settings.SORA_MODELS = {"sora-2": {"list": False}}
    video = lost(make_video, user)
    with pytest.raises(lost_submits.CannotReconcile) as held:
        lost_submits.find_lost_submission(video)
    assert str(held.value) == (
        "the answer to its submit was lost, and OpenAI cannot list videos to check "
        "whether it accepted it"
    )


def test_a_video_never_submitted_cannot_have_been_lost(user, make_video):
    with pytest.raises(
        ValueError, match="^only a submit that was attempted can have been lost$"
    ):
        lost_submits.find_lost_submission(make_video(user))


def test_a_list_without_prompts_cannot_reconcile(user, make_video, emulator, settings):
    """SGLang lists its jobs without their prompts: a video there might be ours."""
    settings.SORA_HOST_PRESET = "sglang"
    emulator.reset(profile="sglang", render_seconds=1.0)
    model, size, seconds = "Wan-AI/Wan2.2-TI2V-5B-Diffusers", "1280x704", 5
    upload = image_upload(1280, 704)
    sora.submit_video(
        prompt=PROMPT,
        model=model,
        size=size,
        seconds=seconds,
        input_reference=sora.ReferenceImage("ref.png", upload.file, "image/png"),
    )
    video = lost(make_video, user, model=model, size=size, seconds=seconds)
    with pytest.raises(lost_submits.CannotReconcile) as held:
        lost_submits.find_lost_submission(video)
    assert str(held.value) == (
        "the answer to its submit was lost, and SGLang lists videos without their "
        "prompts, so it cannot be found safely"
    )


def test_a_refused_list_cannot_reconcile_and_says_the_hosts_words(
    user, make_video, emulator, settings
):
    settings.SORA_HOST_PRESET = "litellm"
    settings.SORA_MODELS = {"sora-2": {"list": True}}
    emulator.reset(profile="litellm", render_seconds=1.0)
    video = lost(make_video, user)
    with pytest.raises(lost_submits.CannotReconcile) as held:
        lost_submits.find_lost_submission(video)
    reason = str(held.value)
    assert reason.startswith(
        "the answer to its submit was lost, and LiteLLM refused to list videos to "
        "check whether it accepted it: litellm.BadRequestError: "
    )


def test_a_lost_create_is_adopted_once_whatever_its_progress(user, emulator):
    """The poller test of this asserts "queued", which needs it to run within 0.1 s of
    the create; here the adoption itself is checked, however slow the machine."""
    emulator.inject_fault("/v1/videos", "drop", method="POST")
    video = services.create_video(
        user=user, prompt=PROMPT, model="sora-2", size="1280x720", seconds=4
    )
    assert video.status == Status.PENDING and video.submit_attempted_at
    note = services.advance_pending(Video.objects.get(pk=video.pk))
    video.refresh_from_db()
    (upstream,) = emulator.videos()
    assert video.openai_video_id == upstream["id"]
    assert video.status in (Status.QUEUED, Status.IN_PROGRESS, Status.COMPLETED)
    assert note == f"(adopted {upstream['id']}, submitted earlier without an answer)"
    assert emulator.stats()["creates"] == 1
