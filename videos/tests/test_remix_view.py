"""`/videos/<uuid>/remix/`: a new video from a completed one."""

import uuid

import pytest

from videos.models import Video

pytestmark = pytest.mark.django_db


def test_remix_creates_a_linked_video(user_client, user, completed_video, emulator):
    source = completed_video(user, size="720x1280", seconds=8)
    response = user_client.post(
        f"/videos/{source.pk}/remix/",
        {"prompt": "Same scene, in winter", "form_token": str(uuid.uuid4())},
    )
    remix = Video.objects.exclude(pk=source.pk).get()
    assert response.status_code == 302
    assert response["Location"] == f"/videos/{remix.pk}/"
    assert remix.remixed_from == source
    assert (remix.model, remix.size, remix.seconds) == ("sora-2", "720x1280", 8)
    assert remix.status == Video.Status.QUEUED
    upstream = next(v for v in emulator.videos() if v["id"] == remix.openai_video_id)
    assert upstream["remixed_from_video_id"] == source.openai_video_id


def test_remix_of_a_running_video_is_refused(user_client, user, make_video):
    source = make_video(user, status=Video.Status.IN_PROGRESS)
    response = user_client.post(
        f"/videos/{source.pk}/remix/", {"prompt": "x"}, follow=True
    )
    assert response.redirect_chain == [(f"/videos/{source.pk}/", 302)]
    assert "Only a completed video can be remixed." in response.text
    assert Video.objects.count() == 1


def test_remix_needs_a_prompt(user_client, user, completed_video):
    source = completed_video(user)
    response = user_client.post(f"/videos/{source.pk}/remix/", {"prompt": "  "})
    assert "the prompt cannot be empty" in response.text
    assert Video.objects.count() == 1


def test_remix_counts_against_the_quota(user_client, user, completed_video):
    user.daily_seconds_quota = 4
    user.save()
    source = completed_video(user, seconds=4)
    response = user_client.post(f"/videos/{source.pk}/remix/", {"prompt": "again"})
    assert "only 0 of your 4 seconds for today are left" in response.text
    assert Video.objects.count() == 1


def test_a_get_of_the_remix_address_leads_back_to_the_video(
    user_client, user, completed_video, emulator
):
    """A reloaded error page (its address is /remix/) must not be an empty 405."""
    source = completed_video(user)
    creates_before = emulator.stats()["creates"]
    response = user_client.get(f"/videos/{source.pk}/remix/")
    assert response.status_code == 302
    assert response["Location"] == f"/videos/{source.pk}/"
    assert emulator.stats()["creates"] == creates_before
