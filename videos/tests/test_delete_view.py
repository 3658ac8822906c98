"""`/videos/<uuid>/delete/`: at OpenAI first, then here."""

import pytest

from videos.models import Video

pytestmark = pytest.mark.django_db


def test_delete_removes_it_upstream_and_here(
    user_client, user, completed_video, emulator
):
    video = completed_video(user)
    response = user_client.post(f"/videos/{video.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/videos/"
    assert not Video.objects.filter(pk=video.pk).exists()
    upstream = next(v for v in emulator.videos() if v["id"] == video.openai_video_id)
    assert upstream["deleted"] is True
    assert "Deleted" in user_client.get("/videos/").text


def test_already_gone_upstream_is_fine(user_client, user, make_video, emulator):
    video = make_video(
        user, status=Video.Status.COMPLETED, openai_video_id="video_gone"
    )
    user_client.post(f"/videos/{video.pk}/delete/")
    assert not Video.objects.filter(pk=video.pk).exists()


def test_a_never_submitted_video_is_just_deleted(
    user_client, user, make_video, emulator
):
    video = make_video(user)
    user_client.post(f"/videos/{video.pk}/delete/")
    assert not Video.objects.exists()
    assert emulator.stats()["requests"].get("DELETE /v1/videos/{id}", 0) == 0


def test_upstream_outage_deletes_nothing_and_says_so(
    user_client, user, completed_video, emulator, settings
):
    settings.OPENAI_MAX_RETRIES = 0
    video = completed_video(user)
    emulator.inject_fault("/v1/videos/*", "503", method="DELETE")
    response = user_client.post(f"/videos/{video.pk}/delete/", follow=True)
    assert Video.objects.filter(pk=video.pk).exists()
    assert "nothing was deleted" in response.text


def test_a_get_of_the_delete_address_leads_back_and_deletes_nothing(
    user_client, user, make_video
):
    video = make_video(user)
    response = user_client.get(f"/videos/{video.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == f"/videos/{video.pk}/"
    assert Video.objects.filter(pk=video.pk).exists()


def test_a_get_of_someone_elses_delete_address_is_404(
    user_client, other_user, make_video
):
    video = make_video(other_user)
    assert user_client.get(f"/videos/{video.pk}/delete/").status_code == 404
