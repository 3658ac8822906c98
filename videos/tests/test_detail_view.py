"""`/videos/<uuid>/` and its live-update endpoint `/videos/<uuid>/status/`."""

import pytest
from django.utils import timezone

from videos.models import Video

pytestmark = pytest.mark.django_db


def test_running_video_shows_progress_and_polls(user_client, user, make_video):
    video = make_video(user, status=Video.Status.IN_PROGRESS, progress=35)
    text = user_client.get(f"/videos/{video.pk}/").text
    assert '<progress max="100" value="35"' in text
    assert f'data-status-url="/videos/{video.pk}/status/"' in text
    assert "js/video-status.js" in text
    assert "<video" not in text


def test_completed_video_has_player_download_and_remix(user_client, user, make_video):
    video = make_video(
        user, status=Video.Status.COMPLETED, progress=100, openai_video_id="video_a"
    )
    text = user_client.get(f"/videos/{video.pk}/").text
    assert '<video class="player' in text and 'preload="metadata"' in text
    assert f'poster="/videos/{video.pk}/content/?variant=thumbnail"' in text
    assert f'href="/videos/{video.pk}/content/?download=1"' in text
    assert f'action="/videos/{video.pk}/remix/"' in text
    assert f'action="/videos/{video.pk}/delete/"' in text


def test_failed_video_shows_the_error(user_client, user, make_video):
    video = make_video(
        user,
        status=Video.Status.FAILED,
        error_code="generation_failed",
        error_message="The video could not be generated.",
    )
    text = user_client.get(f"/videos/{video.pk}/").text
    assert "The video could not be generated." in text
    assert "generation_failed" in text
    assert "remix/" not in text


def test_pending_after_a_failed_submit_says_it_will_retry(
    user_client, user, make_video
):
    video = make_video(user, submit_attempted_at=timezone.now())
    assert (
        "Waiting for OpenAI, will retry" in user_client.get(f"/videos/{video.pk}/").text
    )


def test_expired_video_says_so(user_client, user, make_video):
    video = make_video(user, status=Video.Status.EXPIRED)
    assert "This video has expired." in user_client.get(f"/videos/{video.pk}/").text


def test_status_json(user_client, user, make_video):
    video = make_video(user, status=Video.Status.IN_PROGRESS, progress=60)
    response = user_client.get(f"/videos/{video.pk}/status/")
    data = response.json()
    assert data["status"] == "in_progress"
    assert data["progress"] == 60
    assert data["error"] is None
    assert data["running"] is True
    assert "no-cache" in response["Cache-Control"]


def test_status_json_of_a_completed_video_carries_the_player(
    user_client, user, make_video
):
    video = make_video(user, status=Video.Status.COMPLETED, openai_video_id="video_b")
    data = user_client.get(f"/videos/{video.pk}/status/").json()
    assert data["status"] == "completed" and data["progress"] == 100
    assert data["running"] is False
    assert "<video" in data["html"]
    assert "csrfmiddlewaretoken" in data["html"]


def test_status_json_of_a_failed_video_carries_the_error(user_client, user, make_video):
    video = make_video(user, status=Video.Status.FAILED, error_message="Nope.")
    assert user_client.get(f"/videos/{video.pk}/status/").json()["error"] == "Nope."


def test_unknown_video_is_404(user_client):
    response = user_client.get("/videos/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


def test_a_long_prompt_is_shortened_with_the_whole_of_it_one_click_away(
    user_client, user, make_video
):
    prompt = "A slow pan across a harbour at dawn, " * 100
    video = make_video(user, prompt=prompt.strip())
    text = user_client.get(f"/videos/{video.pk}/").text
    assert "The whole prompt (3699 characters)</summary>" in text
    shortened = text.split('<dd class="prompt-full">')[1].split("<details")[0]
    assert len(shortened) <= 280


def test_list_placeholders_are_short_whatever_the_videos_shape(
    user_client, user, make_video
):
    make_video(user, size="720x1280", status=Video.Status.FAILED)
    text = user_client.get("/videos/").text
    assert "thumb thumb-landscape" in text
    assert "thumb-portrait" not in text


def test_a_remix_names_its_source_and_only_a_remix_reads_it(
    user_client, user, make_video, django_assert_num_queries, settings
):
    """The source is read where the page shows it: one query more for a remix, none
    for a video made from a prompt (owned_video no longer joins it)."""
    source = make_video(
        user,
        status=Video.Status.COMPLETED,
        openai_video_id="video_src",
        prompt="A lighthouse on a cliff at dusk",
    )
    remix = make_video(user, status=Video.Status.COMPLETED, remixed_from=source)
    session = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
    # The session (unless Redis keeps it), the user, the video, its usage charge.
    with django_assert_num_queries(session + 3):
        text = user_client.get(f"/videos/{source.pk}/").text
    assert "Remix of" not in text
    with django_assert_num_queries(session + 4):
        text = user_client.get(f"/videos/{remix.pk}/").text
    assert (
        f'<dt>Remix of</dt><dd><a href="/videos/{source.pk}/">'
        "“A lighthouse on a cliff at dusk”</a></dd>"
    ) in text
