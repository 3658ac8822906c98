"""`videos/sora.py` through the real openai SDK against the emulator over HTTP."""

import io
import time

import pytest

from videos import sora
from videos.tests.helpers import SAMPLES, image_upload, wait_until


def submit(**overrides) -> sora.UpstreamVideo:
    params = {
        "prompt": "A paper boat drifting down a rainy street",
        "model": "sora-2",
        "size": "1280x720",
        "seconds": 4,
    }
    return sora.submit_video(**{**params, **overrides})


def wait_for_completion(video_id: str) -> sora.UpstreamVideo:
    return wait_until(
        lambda: (v := sora.fetch_video(video_id)).status == "completed" and v,
        timeout=10,
    )


def read_all(stream: sora.ContentStream) -> bytes:
    with stream:
        return b"".join(stream)


def test_client_is_built_once_and_rebuilt_when_settings_change(emulator, settings):
    assert sora.get_client() is sora.get_client()
    first = sora.get_client()
    settings.OPENAI_TIMEOUT = 12.0
    assert sora.get_client() is not first
    assert sora.get_client().timeout.read == 12.0


def test_submit_returns_a_queued_video(emulator):
    video = submit()
    assert video.id.startswith("video_")
    assert video.status == "queued"
    assert (video.model, video.size, video.seconds) == ("sora-2", "1280x720", 4)
    assert video.prompt == "A paper boat drifting down a rainy street"


def test_submit_with_a_reference_image(emulator):
    upload = image_upload(1280, 720)
    video = submit(
        input_reference=sora.ReferenceImage(
            "ref.png", io.BytesIO(upload.read()), "image/png"
        )
    )
    assert video.status == "queued"


def test_reference_image_of_the_wrong_size_is_refused(emulator):
    upload = image_upload(640, 480)
    with pytest.raises(sora.RefusedError) as refused:
        submit(
            input_reference=sora.ReferenceImage(
                "ref.png", io.BytesIO(upload.read()), "image/png"
            )
        )
    assert refused.value.param == "input_reference"


def test_invalid_size_for_the_model_is_refused_with_the_upstream_message(emulator):
    with pytest.raises(sora.RefusedError) as refused:
        submit(model="sora-2", size="1792x1024")
    assert refused.value.status_code == 400
    assert refused.value.param == "size"
    assert "1792x1024" in refused.value.message or "720x1280" in refused.value.message


def test_moderation_blocked_prompt_is_refused(emulator):
    with pytest.raises(sora.RefusedError) as refused:
        submit(prompt="something [refuse]")
    assert refused.value.code == "moderation_blocked"
    assert "moderation" in refused.value.message


def test_progress_to_completion(emulator):
    emulator.configure(render_seconds=1.0)
    video = submit()
    seen = set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = sora.fetch_video(video.id)
        seen.add(state.status)
        if state.status == "completed":
            break
        time.sleep(0.05)
    assert "in_progress" in seen and "completed" in seen
    assert state.progress == 100
    assert state.completed_at is not None and state.expires_at > state.completed_at


def test_fetch_reports_the_poll_hint(emulator):
    video = submit()
    assert sora.fetch_video(video.id).poll_after_seconds is not None


def test_failure_comes_with_code_and_message(emulator):
    video = submit(prompt="a video that will [fail]")
    emulator.complete(video.id)
    state = sora.fetch_video(video.id)
    assert state.status == "failed"
    assert state.error_code == "generation_failed"
    assert state.error_message


def test_remix_of_a_completed_video(emulator):
    source = submit()
    emulator.complete(source.id)
    remix = sora.remix_video(source.id, prompt="Same, but at night")
    assert remix.remixed_from_id == source.id
    assert remix.prompt == "Same, but at night"
    assert remix.id != source.id


def test_remix_of_a_running_video_is_refused(emulator):
    source = submit()
    with pytest.raises(sora.RefusedError):
        sora.remix_video(source.id, prompt="Too early")


def test_delete_then_fetch_is_gone(emulator):
    video = submit()
    sora.delete_video(video.id)
    with pytest.raises(sora.GoneError):
        sora.fetch_video(video.id)
    with pytest.raises(sora.GoneError):
        sora.delete_video(video.id)


def test_content_stream_is_the_clip_of_that_size_and_length(emulator, clip_bytes):
    video = submit()
    emulator.complete(video.id)
    stream = sora.open_content(video.id, model="sora-2")
    assert stream.status_code == 200
    assert stream.headers["content-type"] == "video/mp4"
    assert stream.headers["accept-ranges"] == "bytes"
    assert read_all(stream) == clip_bytes("video", "1280x720", 4)


def test_thumbnail_and_spritesheet(emulator, clip_bytes):
    video = submit()
    emulator.complete(video.id)
    assert read_all(
        sora.open_content(video.id, model="sora-2", variant="thumbnail")
    ) == clip_bytes("thumbnail")
    sheet = sora.open_content(video.id, model="sora-2", variant="spritesheet")
    assert sheet.headers["content-type"] == "image/webp"
    sheet.close()


def test_range_request_returns_exactly_those_bytes(emulator, clip_bytes):
    video = submit()
    emulator.complete(video.id)
    stream = sora.open_content(video.id, model="sora-2", range_header="bytes=100-199")
    assert stream.status_code == 206
    clip = clip_bytes()
    assert stream.headers["content-range"] == f"bytes 100-199/{len(clip)}"
    assert stream.content_length == 100
    assert read_all(stream) == clip[100:200]


def test_content_of_an_expired_video_is_gone(emulator):
    video = submit()
    emulator.complete(video.id)
    emulator.expire(video.id)
    with pytest.raises(sora.GoneError):
        sora.open_content(video.id, model="sora-2")


def test_closing_a_stream_early_releases_it(emulator):
    emulator.configure(content_bytes=64 * 1024 * 1024)
    video = submit()
    emulator.complete(video.id)
    stream = sora.open_content(video.id, model="sora-2")
    first = next(iter(stream))
    assert len(first) > 0
    stream.close()
    stream.close()  # twice is harmless
    # The pool is usable again at once.
    assert sora.fetch_video(video.id).status == "completed"


def test_list_follows_pagination(emulator):
    ids = {submit(prompt=f"clip {n}").id for n in range(105)}
    listed = [video.id for video in sora.iter_videos()]
    assert set(listed) == ids
    assert len(listed) == 105
    assert emulator.stats()["requests"]["GET /v1/videos"] == 2


def test_list_stops_at_created_since(emulator):
    submit(prompt="old")
    newest = submit(prompt="new")
    listed = list(sora.iter_videos(created_since=newest.created_at))
    assert newest.id in [video.id for video in listed]


def test_moderation_off_by_default(emulator, settings):
    settings.OPENAI_MODERATION_MODEL = ""
    assert sora.moderate_prompt("anything [flag]").flagged is False
    assert emulator.stats()["requests"].get("POST /v1/moderations", 0) == 0


def test_moderation_flagged_and_not(emulator, settings):
    settings.OPENAI_MODERATION_MODEL = "omni-moderation-latest"
    flagged = sora.moderate_prompt("something violent [flag]")
    assert flagged.flagged is True and flagged.categories
    assert sora.moderate_prompt("a calm lake").flagged is False


def test_429_is_transient_with_retry_after(emulator, settings):
    settings.OPENAI_MAX_RETRIES = 0
    video = submit()
    emulator.inject_fault("/v1/videos/*", "429", method="GET", retry_after=7)
    with pytest.raises(sora.TransientError) as transient:
        sora.fetch_video(video.id)
    assert transient.value.retry_after == 7


def test_500_is_transient(emulator, settings):
    settings.OPENAI_MAX_RETRIES = 0
    emulator.inject_fault("/v1/videos", "500", method="POST")
    with pytest.raises(sora.TransientError):
        submit()


def test_reads_are_retried_by_the_sdk(emulator, settings):
    settings.OPENAI_MAX_RETRIES = 2
    video = submit()
    emulator.inject_fault("/v1/videos/*", "500", method="GET", count=1)
    assert sora.fetch_video(video.id).id == video.id


def test_creates_are_never_retried_by_the_sdk(emulator, settings):
    settings.OPENAI_MAX_RETRIES = 2
    emulator.inject_fault("/v1/videos", "500", method="POST", count=1)
    with pytest.raises(sora.TransientError):
        submit()
    assert emulator.stats()["requests"]["POST /v1/videos"] == 1


def test_a_lost_answer_is_transient_and_the_video_exists_upstream(emulator, settings):
    emulator.inject_fault("/v1/videos", "drop", method="POST")
    with pytest.raises(sora.TransientError):
        submit(prompt="answer lost")
    assert emulator.stats()["creates"] == 1
    assert [v.prompt for v in sora.iter_videos()] == ["answer lost"]


def test_timeout_is_transient(emulator, settings):
    settings.OPENAI_TIMEOUT = 0.5
    settings.OPENAI_MAX_RETRIES = 0
    video = submit()
    emulator.inject_fault("/v1/videos/*", "hang", method="GET", seconds=2)
    with pytest.raises(sora.TransientError):
        sora.fetch_video(video.id)


def test_unreachable_upstream_is_transient(settings):
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    settings.OPENAI_MAX_RETRIES = 0
    with pytest.raises(sora.TransientError):
        sora.fetch_video("video_123")


def test_400_is_refused_and_carries_the_param(emulator):
    with pytest.raises(sora.RefusedError) as refused:
        submit(seconds=5)
    assert refused.value.param == "seconds"


def test_no_openai_type_leaks(emulator, settings):
    """Every failure surfaces as one of ours."""
    settings.OPENAI_MAX_RETRIES = 0
    emulator.inject_fault("/v1/videos/*", "503", method="GET")
    with pytest.raises(sora.SoraError) as error:
        sora.fetch_video("video_x")
    assert type(error.value).__module__.startswith("videos.sora.")


@pytest.mark.parametrize(
    ("sample", "declared", "expected"),
    [
        ("thumbnail.webp", "image/webp", "image/webp"),
        ("spritesheet.jpg", "", "image/jpeg"),
        ("spritesheet.jpg", "application/octet-stream", "image/jpeg"),
        ("spritesheet.jpg", "video/mp4", None),  # labelled a video: not trusted
        ("video.mp4", "image/webp", None),  # an MP4 under an image's label
        ("video.mp4", "video/mp4", None),
    ],
)
def test_an_image_is_one_by_its_bytes_and_its_label(sample, declared, expected):
    head = (SAMPLES / sample).read_bytes()[:64]
    assert sora.image_type(head, declared) == expected
