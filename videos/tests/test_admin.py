"""`/admin/videos/video/`: the list, moderation, retry, and deleting at OpenAI too."""

from datetime import timedelta

import pytest
from django.utils import timezone

from videos.models import Video

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/videos/video/"
# Session, staff user, the page's count, the page of videos with their users: 4 at
# 1 row and at 50 (measured).
CHANGELIST_MAX_QUERIES = 5  # the authenticator app check added one


@pytest.fixture(autouse=True)
def proxy_only(settings):
    """Content comes from the emulator, not an archived copy."""
    settings.VIDEO_ARCHIVE = False


def listed(response) -> list[Video]:
    return list(response.context["cl"].result_list)


def run_action(staff_client, action: str, *videos: Video, **extra):
    return staff_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [v.pk for v in videos], **extra},
        follow=True,
    )


def body(response) -> bytes:
    # Reading to the end closes the response (the test client's wrapper does it).
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("rows", [1, 50])
def test_changelist_queries_do_not_grow_with_rows(
    rows, staff_client, make_user, make_video, django_assert_max_num_queries
):
    for index in range(rows):
        status = Video.Status.COMPLETED if index % 2 else Video.Status.QUEUED
        make_video(make_user(), status=status)
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(listed(response)) == rows


def test_changelist_shows_a_lazy_thumbnail_for_completed_videos_only(
    staff_client, user, make_video
):
    done = make_video(user, status=Video.Status.COMPLETED, prompt="Done and dusted")
    running = make_video(user, status=Video.Status.IN_PROGRESS, progress=42)
    page = staff_client.get(CHANGELIST).text
    assert (
        f'<img class="sora-admin-thumb" src="/videos/{done.pk}/content/'
        '?variant=thumbnail" alt="" loading="lazy"'
    ) in page
    assert f"/videos/{running.pk}/content/" not in page
    assert "42%" in page and user.email in page
    assert "admin/sora_admin.css" in page
    assert "style=" not in page  # the CSP forbids inline styles


def test_search_by_prompt_email_and_openai_id(
    staff_client, user, other_user, make_video
):
    lighthouse = make_video(user, prompt="A lighthouse in a storm")
    desert = make_video(other_user, prompt="Dunes at noon", openai_video_id="video_d1")
    assert listed(staff_client.get(CHANGELIST, {"q": "lighthouse"})) == [lighthouse]
    assert listed(staff_client.get(CHANGELIST, {"q": other_user.email})) == [desert]
    assert listed(staff_client.get(CHANGELIST, {"q": "video_d1"})) == [desert]


def test_filters_by_status_model_hidden_and_stuck(staff_client, user, make_video):
    failed = make_video(user, status=Video.Status.FAILED)
    pro = make_video(user, model="sora-2-pro", size="1792x1024")
    hidden = make_video(user, hidden=True)
    stuck = make_video(user, status=Video.Status.QUEUED, stuck_since=timezone.now())
    assert listed(staff_client.get(CHANGELIST, {"status__exact": "failed"})) == [failed]
    assert listed(staff_client.get(CHANGELIST, {"model": "sora-2-pro"})) == [pro]
    assert listed(staff_client.get(CHANGELIST, {"hidden__exact": "1"})) == [hidden]
    assert listed(staff_client.get(CHANGELIST, {"stuck": "yes"})) == [stuck]
    assert stuck not in listed(staff_client.get(CHANGELIST, {"stuck": "no"}))


def test_model_filter_offers_the_capability_table(staff_client, settings, user):
    settings.SORA_MODELS = {
        **settings.SORA_MODELS,
        "sora-3": {"sizes": ["1280x720"], "seconds": [4]},
    }
    page = staff_client.get(CHANGELIST).text
    assert "?model=sora-3" in page and "?model=sora-2-pro" in page


def test_hide_takes_it_from_its_owner_but_not_from_staff(
    staff_client, user, user_client, completed_video
):
    video = completed_video(user, prompt="A fox crossing a snowy road")
    assert str(video.pk) in user_client.get("/videos/").text

    confirm = run_action(staff_client, "hide", video)
    assert "Hide 1 video" in confirm.text and not Video.objects.get(pk=video.pk).hidden
    refused = run_action(staff_client, "hide", video, apply="1", reason="")
    assert "This field is required." in refused.text
    assert not Video.objects.get(pk=video.pk).hidden
    response = run_action(
        staff_client, "hide", video, apply="1", reason="Violent imagery"
    )
    assert "Hid 1 video" in response.text
    assert Video.objects.get(pk=video.pk).hidden_reason == "Violent imagery"
    listed = user_client.get("/videos/").text
    assert str(video.pk) in listed and "Hidden by a moderator" in listed
    page = user_client.get(f"/videos/{video.pk}/")
    assert page.status_code == 200
    assert "A moderator hid this video." in page.text
    assert "Reason: Violent imagery" in page.text
    assert f"/videos/{video.pk}/content/" not in page.text
    assert user_client.get(f"/videos/{video.pk}/content/").status_code == 404
    staff_view = staff_client.get(f"/videos/{video.pk}/content/")
    assert staff_view.status_code == 200
    assert body(staff_view)

    response = run_action(staff_client, "unhide", video)
    assert "Unhid 1 video" in response.text
    assert str(video.pk) in user_client.get("/videos/").text
    assert user_client.get(f"/videos/{video.pk}/").status_code == 200


def test_hidden_and_its_reason_are_the_editable_fields(staff_client, user, make_video):
    video = make_video(user, status=Video.Status.QUEUED, progress=10)
    response = staff_client.post(
        f"{CHANGELIST}{video.pk}/change/",
        {
            "hidden": "on",
            "hidden_reason": "Reported as spam",
            "status": "completed",  # read-only: ignored
            "progress": "100",
        },
    )
    assert response.status_code == 302
    video.refresh_from_db()
    assert video.hidden and video.hidden_reason == "Reported as spam"
    assert (video.status, video.progress) == (Video.Status.QUEUED, 10)


def test_retry_requeues_a_stuck_video_and_skips_a_failed_one(
    staff_client, user, make_video
):
    long_ago = timezone.now() - timedelta(hours=2)
    stuck = make_video(
        user,
        status=Video.Status.IN_PROGRESS,
        openai_video_id="video_stuck",
        stuck_since=long_ago,
        next_poll_at=timezone.now() + timedelta(minutes=10),
        poll_interval=20,
    )
    failed = make_video(
        user, status=Video.Status.FAILED, error_code="failed", next_poll_at=None
    )
    before = timezone.now()
    response = run_action(staff_client, "retry", stuck, failed)
    assert "Requeued 1 video" in response.text
    assert "Skipped 1" in response.text
    stuck.refresh_from_db()
    assert stuck.stuck_since is None
    assert before <= stuck.next_poll_at <= timezone.now()
    assert stuck.poll_interval == 0
    failed.refresh_from_db()
    assert failed.status == Video.Status.FAILED and failed.next_poll_at is None


def test_retry_is_offered_on_the_change_page(staff_client, user, make_video):
    video = make_video(user, status=Video.Status.PENDING, stuck_since=timezone.now())
    response = staff_client.post(
        f"{CHANGELIST}{video.pk}/change/",
        {"CHANGE_FORM-action": "retry", "_selected_action": [video.pk]},
        follow=True,
    )
    assert "Requeued 1 video" in response.text
    video.refresh_from_db()
    assert video.stuck_since is None


def test_bulk_delete_asks_first_then_deletes_at_openai_too(
    staff_client, user, completed_video, emulator
):
    video = completed_video(user)
    confirm = run_action(staff_client, "delete_selected", video)
    assert "Are you sure" in confirm.text
    assert Video.objects.filter(pk=video.pk).exists()

    response = run_action(staff_client, "delete_selected", video, post="yes")
    assert "Deleted 1 video" in response.text
    assert not Video.objects.filter(pk=video.pk).exists()
    upstream = next(v for v in emulator.videos() if v["id"] == video.openai_video_id)
    assert upstream["deleted"] is True


def test_bulk_delete_keeps_the_row_when_openai_is_down(
    staff_client, user, completed_video, emulator, settings
):
    settings.OPENAI_MAX_RETRIES = 0
    video = completed_video(user)
    emulator.inject_fault("/v1/videos/*", "503", method="DELETE")
    response = run_action(staff_client, "delete_selected", video, post="yes")
    assert Video.objects.filter(pk=video.pk).exists()
    assert "Kept 1 video(s): OpenAI could not be reached" in response.text
    assert "Deleted" not in response.text
    upstream = next(v for v in emulator.videos() if v["id"] == video.openai_video_id)
    assert upstream["deleted"] is False


def test_only_our_delete_action_is_offered(staff_client, user, make_video):
    make_video(user)
    choices = dict(
        staff_client.get(CHANGELIST).context["action_form"].fields["action"].choices
    )
    assert choices["delete_selected"] == (
        "Delete selected videos (at the host too, where it can)"
    )


def test_single_delete_goes_through_openai(
    staff_client, user, completed_video, emulator
):
    video = completed_video(user)
    url = f"{CHANGELIST}{video.pk}/delete/"
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"post": "yes"}, follow=True)
    assert "was deleted successfully" in response.text
    assert not Video.objects.filter(pk=video.pk).exists()
    upstream = next(v for v in emulator.videos() if v["id"] == video.openai_video_id)
    assert upstream["deleted"] is True


def test_single_delete_keeps_the_row_when_openai_is_down(
    staff_client, user, completed_video, emulator, settings
):
    settings.OPENAI_MAX_RETRIES = 0
    video = completed_video(user)
    emulator.inject_fault("/v1/videos/*", "503", method="DELETE")
    response = staff_client.post(
        f"{CHANGELIST}{video.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"{CHANGELIST}{video.pk}/change/"
    assert "OpenAI could not be reached" in response.text
    assert Video.objects.filter(pk=video.pk).exists()


def test_change_page_plays_a_completed_video(staff_client, user, completed_video):
    video = completed_video(user)
    page = staff_client.get(f"{CHANGELIST}{video.pk}/change/").text
    assert (
        f'<video class="sora-admin-player" controls preload="metadata" '
        f'src="/videos/{video.pk}/content/">'
    ) in page
    assert f"/videos/{video.pk}/content/?variant=thumbnail" in page
    assert "style=" not in page


def test_change_page_of_a_running_video_has_no_player(staff_client, user, make_video):
    video = make_video(user, status=Video.Status.QUEUED)
    page = staff_client.get(f"{CHANGELIST}{video.pk}/change/").text
    assert "<video" not in page
    assert "Nothing to play" in page


def test_videos_cannot_be_added_in_the_admin(staff_client):
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403


def test_non_staff_are_sent_to_the_admin_login(user_client, user, make_video):
    video = make_video(user)
    for url in ("/admin/", CHANGELIST, f"{CHANGELIST}{video.pk}/change/"):
        response = user_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_archive_now_copies_a_completed_video(
    staff_client, user, completed_video, sample_bytes
):
    video = completed_video(user)
    response = run_action(staff_client, "archive_now", video)
    assert "Archived 1 video(s)." in response.text
    video.refresh_from_db()
    assert video.is_archived and video.archive_size == len(sample_bytes)
    text = staff_client.get(f"{CHANGELIST}{video.pk}/change/").text
    assert f"{len(sample_bytes) / 1024 / 1024:.1f} MB" in text


def test_archive_now_reports_an_expired_video(
    staff_client, user, completed_video, emulator
):
    video = completed_video(user)
    emulator.expire(video.openai_video_id)
    response = run_action(staff_client, "archive_now", video)
    assert "expired at OpenAI" in response.text
    video.refresh_from_db()
    assert video.status == Video.Status.EXPIRED


def test_verify_archive_reports_a_corrupted_file(
    staff_client, user, completed_video, settings
):
    intact, broken = completed_video(user), completed_video(user, prompt="second")
    run_action(staff_client, "archive_now", intact, broken)
    broken.refresh_from_db()
    path = settings.MEDIA_ROOT / broken.archived_video.name
    path.write_bytes(path.read_bytes()[:-10])
    response = run_action(staff_client, "verify_archive", intact, broken)
    assert "1 archived file(s) intact." in response.text
    assert f"do not match their checksum: {broken.pk}" in response.text
