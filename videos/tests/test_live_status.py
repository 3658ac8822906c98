"""`/videos/status/?ids=…` (the list page's poll) and `/videos/<uuid>/status/` (the
detail page's): what they answer, to whom, at what cost, and what they refuse."""

import uuid

import pytest
from django.utils import timezone

from videos.live import MAX_IDS
from videos.models import Video

pytestmark = pytest.mark.django_db

BATCH = "/videos/status/"


def ids_param(*videos) -> str:
    return ",".join(str(video.pk) for video in videos)


# --- the list page's poll ---------------------------------------------------------------


def test_running_cards_get_their_state_without_html(user_client, user, make_video):
    video = make_video(
        user,
        status=Video.Status.IN_PROGRESS,
        progress=50,
        submitted_at=timezone.now() - timezone.timedelta(seconds=30),
        expected_render_seconds=150,
        render_spread_seconds=10,
        estimate_samples=5,
    )
    response = user_client.get(BATCH, {"ids": str(video.pk)})
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    state = response.json()["videos"][str(video.pk)]
    assert state == {
        "status": "in_progress",
        "phase": "in_progress",
        "status_label": "Rendering",
        "progress": 50,
        "estimate": "About 30 s left",  # half done in 30 s
        "running": True,
    }


def test_a_finished_card_comes_whole_as_the_list_renders_it(
    user_client, user, make_video
):
    video = make_video(
        user, status=Video.Status.COMPLETED, progress=100, duration=4.2, seconds=4
    )
    state = user_client.get(BATCH, {"ids": str(video.pk)}).json()["videos"][
        str(video.pk)
    ]
    assert state["running"] is False and state["progress"] == 100
    html = state["html"].strip()
    assert html.startswith(f'<li class="video-card" data-video-id="{video.pk}"')
    assert "data-running" not in html
    assert f'src="/videos/{video.pk}/content/?variant=thumbnail"' in html
    assert '<span class="duration-badge" title="Length">0:04</span>' in html
    # One partial for the page and the poll: the list shows exactly this card.
    assert html in user_client.get("/videos/").text


def test_a_failed_card_comes_whole_too(user_client, user, make_video):
    video = make_video(user, status=Video.Status.FAILED, error_message="Nope.")
    state = user_client.get(BATCH, {"ids": str(video.pk)}).json()["videos"][
        str(video.pk)
    ]
    assert state["running"] is False
    assert 'class="badge status-failed" data-card-badge>Failed<' in state["html"]


def test_a_hidden_card_stops_as_hidden(user_client, user, make_video):
    video = make_video(user, status=Video.Status.IN_PROGRESS, hidden=True)
    state = user_client.get(BATCH, {"ids": str(video.pk)}).json()["videos"][
        str(video.pk)
    ]
    assert state["running"] is False
    assert "<progress" not in state["html"]
    assert "status-hidden" in state["html"]


def test_only_my_own_videos_answer(user_client, user, other_user, make_video):
    mine = make_video(user, status=Video.Status.QUEUED)
    theirs = make_video(other_user, status=Video.Status.QUEUED)
    deleted = make_video(user, status=Video.Status.QUEUED)
    deleted_id = deleted.pk
    deleted.delete()
    response = user_client.get(BATCH, {"ids": f"{mine.pk},{theirs.pk},{deleted_id}"})
    assert response.status_code == 200
    assert list(response.json()["videos"]) == [str(mine.pk)]


def test_a_repeated_id_is_answered_once(user_client, user, make_video):
    video = make_video(user, status=Video.Status.QUEUED)
    ids = f" {video.pk} ,{video.pk},"
    assert list(user_client.get(BATCH, {"ids": ids}).json()["videos"]) == [
        str(video.pk)
    ]


def test_a_page_full_of_ids_is_allowed_one_more_is_400(user_client, user, make_video):
    videos = [make_video(user, status=Video.Status.QUEUED) for _ in range(MAX_IDS)]
    response = user_client.get(BATCH, {"ids": ids_param(*videos)})
    assert response.status_code == 200
    assert len(response.json()["videos"]) == MAX_IDS == 12

    one_more = f"{ids_param(*videos)},{uuid.uuid4()}"
    response = user_client.get(BATCH, {"ids": one_more})
    assert response.status_code == 400
    assert response.json() == {
        "error": "At most 12 videos can be asked about at once; 13 were given."
    }


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ("not-a-uuid", "“not-a-uuid” is not a video id."),
        ("1234", "“1234” is not a video id."),
        ("x" * 500, f"“{'x' * 40}” is not a video id."),
    ],
)
def test_a_malformed_id_is_400_with_a_reason(user_client, user, make_video, bad, error):
    video = make_video(user, status=Video.Status.QUEUED)
    response = user_client.get(BATCH, {"ids": f"{video.pk},{bad}"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": error}


@pytest.mark.parametrize("query", [{}, {"ids": ""}, {"ids": " , ,"}])
def test_no_ids_is_400_with_a_reason(user_client, query):
    response = user_client.get(BATCH, query)
    assert response.status_code == 400
    assert response.json() == {
        "error": "Say which videos: ?ids=<id>,<id> (the videos' ids)."
    }


def test_only_get(user_client, user, make_video):
    video = make_video(user, status=Video.Status.QUEUED)
    assert user_client.post(BATCH, {"ids": str(video.pk)}).status_code == 405


def test_anonymous_is_sent_to_log_in(client, user, make_video):
    video = make_video(user, status=Video.Status.QUEUED)
    response = client.get(BATCH, {"ids": str(video.pk)})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/videos/status/")


@pytest.mark.parametrize("count", [1, MAX_IDS])
def test_query_count_does_not_grow_with_ids(
    user_client, user, make_video, count, django_assert_num_queries, settings
):
    now = timezone.now()
    videos = [
        make_video(
            user,
            status=[Video.Status.IN_PROGRESS, Video.Status.COMPLETED][n % 2],
            submitted_at=now,
            expected_render_seconds=60,
        )
        for n in range(count)
    ]
    # The session (unless Redis keeps sessions), the user, the videos: the same for
    # one card or twelve.
    session_queries = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
    with django_assert_num_queries(session_queries + 2):
        response = user_client.get(BATCH, {"ids": ids_param(*videos)})
    assert len(response.json()["videos"]) == count


def test_polls_do_not_count_against_the_site_limit(
    user_client, user, make_video, settings
):
    settings.RATE_LIMIT_SITE = "5/m"
    video = make_video(user, status=Video.Status.QUEUED)
    for _ in range(30):
        assert user_client.get(BATCH, {"ids": str(video.pk)}).status_code == 200
    for _ in range(5):
        assert user_client.get("/videos/").status_code == 200
    assert user_client.get("/videos/").status_code == 429


# --- the list page serves the cards the poll refers to -----------------------------------


def test_list_cards_carry_what_the_poll_needs(user_client, user, make_video):
    running = make_video(user, status=Video.Status.IN_PROGRESS, progress=10)
    done = make_video(user, status=Video.Status.COMPLETED)
    text = user_client.get("/videos/").text
    assert 'data-statuses-url="/videos/status/"' in text
    assert "js/list-status.js" in text
    assert (
        f'data-video-id="{running.pk}" data-phase="in_progress" data-running>' in text
    )
    assert f'data-video-id="{done.pk}" data-phase="completed">' in text
    assert 'aria-label="Progress of “A lighthouse on a cliff' in text
    assert 'role="status" data-list-announcer' in text


# --- the detail page's poll -------------------------------------------------------------


def test_status_says_whether_a_moderator_hid_it(user_client, user, make_video):
    video = make_video(user, status=Video.Status.IN_PROGRESS)
    assert user_client.get(f"/videos/{video.pk}/status/").json()["hidden"] is False


def test_status_of_a_hidden_video_tells_its_owner(user_client, user, make_video):
    video = make_video(
        user, status=Video.Status.IN_PROGRESS, hidden=True, hidden_reason="Spam"
    )
    data = user_client.get(f"/videos/{video.pk}/status/").json()
    assert data["hidden"] is True
    assert "Reason: Spam" in data["html"]
    assert "<progress" not in data["html"]


def test_status_of_a_deleted_video_is_a_json_404(user_client, user, make_video):
    video = make_video(user, status=Video.Status.IN_PROGRESS)
    url = f"/videos/{video.pk}/status/"
    video.delete()
    response = user_client.get(url)
    assert response.status_code == 404
    assert response.json() == {"error": "This video was deleted."}
    assert "no-cache" in response["Cache-Control"]


def test_status_of_someone_elses_video_looks_deleted(
    user_client, other_user, make_video
):
    video = make_video(other_user, status=Video.Status.IN_PROGRESS)
    response = user_client.get(f"/videos/{video.pk}/status/")
    assert response.status_code == 404
    assert response.json() == {"error": "This video was deleted."}
