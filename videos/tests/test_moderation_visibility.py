"""Moderation that people can see: an owner is told a video was hidden, and why; the
counts agree; a banned user reads what happened; staff reach every stored file."""

import re

import pytest

from accounts.tests.fixtures import PASSWORD
from videos.models import Video
from videos.tests.helpers import archived_at_emulator, image_upload

pytestmark = pytest.mark.django_db

REASON = "Shows a real person without their consent"


@pytest.fixture
def archived_with_reference(user, emulator):
    """The user's video, archived, made from an uploaded reference image."""
    return archived_at_emulator(
        user,
        emulator,
        prompt="A heron on one leg",
        model="sora-2",
        size="720x1280",
        seconds=4,
        input_reference=image_upload(720, 1280),
    )


def test_the_owner_reads_that_a_moderator_hid_it_and_why(
    user_client, user, completed_video
):
    video = completed_video(user, hidden=True, hidden_reason=REASON)
    response = user_client.get(f"/videos/{video.pk}/")
    assert response.status_code == 200
    assert "A moderator hid this video." in response.text
    assert f"Reason: {REASON}" in response.text
    assert "<video" not in response.text
    assert f'action="/videos/{video.pk}/remix/"' not in response.text
    assert f'action="/videos/{video.pk}/delete/"' in response.text  # still theirs


def test_a_hidden_video_cannot_be_played_remixed_or_reached_by_others(
    user_client, client_for, other_user, user, completed_video
):
    video = completed_video(user, hidden=True, hidden_reason=REASON)
    assert user_client.get(f"/videos/{video.pk}/content/").status_code == 404
    remix = user_client.post(f"/videos/{video.pk}/remix/", {"prompt": "again"})
    assert remix.status_code == 302
    assert Video.objects.filter(remixed_from=video).count() == 0
    page = user_client.get(remix["Location"]).text
    assert "A moderator hid this video, so it cannot be remixed." in page
    other = client_for(other_user)
    assert other.get(f"/videos/{video.pk}/").status_code == 404


def test_the_status_of_a_hidden_video_says_hidden_and_not_running(
    user_client, user, make_video
):
    video = make_video(user, status=Video.Status.IN_PROGRESS, hidden=True)
    data = user_client.get(f"/videos/{video.pk}/status/").json()
    assert data["phase"] == "hidden"
    assert data["status_label"] == "Hidden by a moderator"
    assert "A moderator hid this video." in data["html"]


def test_list_and_profile_counts_agree_with_a_hidden_video(
    user_client, user, make_video
):
    make_video(user, prompt="kept in view")
    make_video(user, prompt="taken down", hidden=True, hidden_reason=REASON)
    listed = user_client.get("/videos/")
    assert len(listed.context["page"].cards) == 2
    assert "Hidden by a moderator" in listed.text
    profile = user_client.get("/accounts/profile/")
    assert profile.context["usage"]["videos_total"] == 2
    assert "2 videos, 1 of them hidden by a moderator" in profile.text


def test_a_banned_user_is_told_the_account_is_suspended(client, make_user):
    banned = make_user(is_active=False)
    response = client.post(
        "/accounts/login/",
        {"login": banned.email, "password": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/inactive/"
    assert "This account is suspended" in response.text
    assert "A moderator has suspended this account" in response.text


def test_a_wrong_password_for_a_banned_user_reveals_nothing(client, make_user):
    banned = make_user(is_active=False)
    response = client.post(
        "/accounts/login/", {"login": banned.email, "password": "not-it"}
    )
    assert response.status_code == 200
    assert "suspended" not in response.text


def test_admin_links_reach_every_stored_file(staff_client, archived_with_reference):
    video = archived_with_reference
    page = staff_client.get(f"/admin/videos/video/{video.pk}/change/")
    assert page.status_code == 200
    content = f"/videos/{video.pk}/content/"
    links = [
        content,
        f"{content}?variant=thumbnail",
        f"{content}?variant=spritesheet",
        f"{content}?variant=reference",
    ]
    for link in links:
        assert f'href="{link}"' in page.text, link
        response = staff_client.get(link)
        assert response.status_code == 200, link
        b"".join(response.streaming_content)
    assert "/media/" not in page.text


def test_view_on_site_opens_the_video_for_staff_whoever_owns_it(
    staff_client, user, completed_video
):
    video = completed_video(user)
    page = staff_client.get(f"/admin/videos/video/{video.pk}/change/")
    link = re.search(r'<a href="([^"]+)" class="viewsitelink"', page.text)
    assert link and link.group(1) == f"/videos/{video.pk}/content/"
    played = staff_client.get(link.group(1))
    assert played.status_code == 200
    assert b"".join(played.streaming_content)


def test_a_running_video_has_no_view_on_site_link(staff_client, user, make_video):
    video = make_video(user, status=Video.Status.QUEUED)
    page = staff_client.get(f"/admin/videos/video/{video.pk}/change/")
    assert 'class="viewsitelink"' not in page.text


def test_the_reference_image_is_its_owners_and_staffs_only(
    user_client, client_for, other_user, archived_with_reference
):
    video = archived_with_reference
    url = f"/videos/{video.pk}/content/?variant=reference"
    mine = user_client.get(url)
    assert mine.status_code == 200
    assert mine["Content-Type"] == "image/png"
    assert b"".join(mine.streaming_content).startswith(b"\x89PNG")
    assert client_for(other_user).get(url).status_code == 404
    assert url in user_client.get(f"/videos/{video.pk}/").text


def test_no_reference_image_is_a_404(user_client, user, make_video):
    video = make_video(user, status=Video.Status.COMPLETED)
    response = user_client.get(f"/videos/{video.pk}/content/?variant=reference")
    assert response.status_code == 404


def test_a_user_banned_mid_session_is_told_why_and_logged_out(user_client, user):
    assert user_client.get("/videos/").status_code == 200
    user.is_active = False
    user.save()
    response = user_client.get("/videos/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    page = user_client.get(response["Location"])
    assert "This account is suspended" in page.text
    again = user_client.get("/videos/")
    assert again["Location"].startswith("/accounts/login/")
