"""`/videos/<uuid>/content/`: the upstream proxy (archived copies are tested apart)."""

import re

import pytest

from videos.models import Video

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def proxy_only(settings):
    settings.VIDEO_ARCHIVE = False


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_streams_the_upstream_bytes(user_client, user, completed_video, sample_bytes):
    video = completed_video(user)
    response = user_client.get(f"/videos/{video.pk}/content/")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == str(len(sample_bytes))
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == sample_bytes


def test_range_returns_206_with_those_bytes(
    user_client, user, completed_video, sample_bytes
):
    video = completed_video(user)
    response = user_client.get(
        f"/videos/{video.pk}/content/", HTTP_RANGE="bytes=100-199"
    )
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(sample_bytes)}"
    assert response["Content-Length"] == "100"
    assert body(response) == sample_bytes[100:200]


def test_unsatisfiable_range_is_416(user_client, user, completed_video):
    video = completed_video(user)
    response = user_client.get(
        f"/videos/{video.pk}/content/", HTTP_RANGE="bytes=999999999-"
    )
    assert response.status_code == 416
    # Relayed from the host with its Content-Range (or the size we know).
    assert re.fullmatch(r"bytes \*/\d+", response["Content-Range"])


def test_head_has_headers_and_no_body(user_client, user, completed_video, sample_bytes):
    video = completed_video(user)
    response = user_client.head(f"/videos/{video.pk}/content/")
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(sample_bytes))
    assert response.content == b""


def test_download_sets_a_readable_filename(user_client, user, completed_video):
    video = completed_video(user, prompt="Sunrise over Kyoto, timelapse!")
    response = user_client.get(f"/videos/{video.pk}/content/?download=1")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "sunrise-over-kyoto-timelapse" in disposition and ".mp4" in disposition
    response.close()


def test_thumbnail_variant_is_cached_privately(
    user_client, user, completed_video, clip_bytes
):
    video = completed_video(user)
    response = user_client.get(f"/videos/{video.pk}/content/?variant=thumbnail")
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert body(response) == clip_bytes("thumbnail")


def test_unknown_variant_is_404(user_client, user, completed_video):
    video = completed_video(user)
    assert user_client.get(f"/videos/{video.pk}/content/?variant=x").status_code == 404


def test_not_completed_is_404(user_client, user, make_video):
    video = make_video(user, status=Video.Status.IN_PROGRESS)
    assert user_client.get(f"/videos/{video.pk}/content/").status_code == 404


def test_expired_upstream_is_410(user_client, user, completed_video, emulator):
    video = completed_video(user)
    emulator.expire(video.openai_video_id)
    response = user_client.get(f"/videos/{video.pk}/content/")
    assert response.status_code == 410
    assert "expired at OpenAI" in response.text


def test_upstream_outage_is_502(user_client, user, completed_video, emulator, settings):
    settings.OPENAI_MAX_RETRIES = 0
    video = completed_video(user)
    emulator.inject_fault("/v1/videos/*/content", "503", count=5)
    response = user_client.get(f"/videos/{video.pk}/content/")
    assert response.status_code == 502
    assert "OpenAI is not answering" in response.text


def test_closing_the_response_early_closes_the_upstream(
    user_client, user, completed_video, emulator
):
    emulator.configure(content_bytes=256 * 1024 * 1024)
    video = completed_video(user)
    response = user_client.get(f"/videos/{video.pk}/content/")
    chunk = next(iter(response.streaming_content))
    assert len(chunk) > 0
    response.close()  # what the WSGI server does when the viewer goes away
    from videos.tests.helpers import wait_until

    wait_until(lambda: emulator.stats().get("streams_aborted", 0) >= 1, timeout=10)
