"""The video lifecycle kept on the model: sets, transitions, and who reads them."""

import pytest
from django.utils import timezone

from videos import services, sora
from videos.models import Video

pytestmark = pytest.mark.django_db

Status = Video.Status


def test_every_status_is_either_running_or_final():
    assert Video.RUNNING_STATUSES | Video.FINAL_STATUSES == set(Status.values)
    assert not Video.RUNNING_STATUSES & Video.FINAL_STATUSES


def test_every_status_has_its_transitions_and_only_final_ones_end():
    assert set(Video.TRANSITIONS) == set(Status.values)
    for status, targets in Video.TRANSITIONS.items():
        assert targets <= set(Status.values)
        assert status not in targets  # staying put is implied, not listed
    assert (
        Video.TRANSITIONS[Status.FAILED] == Video.TRANSITIONS[Status.EXPIRED] == set()
    )
    assert Video.can_move(Status.COMPLETED, Status.COMPLETED)
    assert Video.can_move(Status.COMPLETED, Status.EXPIRED)
    assert not Video.can_move(Status.COMPLETED, Status.IN_PROGRESS)
    assert not Video.can_move(Status.QUEUED, Status.PENDING)


def test_completed_videos_are_due_only_while_archiving(settings):
    settings.VIDEO_ARCHIVE = True
    assert Video.due_statuses() == Video.RUNNING_STATUSES | {Status.COMPLETED}
    settings.VIDEO_ARCHIVE = False
    assert Video.due_statuses() == Video.RUNNING_STATUSES


def upstream_says(video: Video, status: str, progress: int = 0) -> sora.UpstreamVideo:
    assert video.openai_video_id, "only a submitted video has an answer upstream"
    return sora.UpstreamVideo(
        id=video.openai_video_id,
        status=status,
        progress=progress,
        model=video.model,
        size=video.size,
        seconds=video.seconds,
        prompt=video.prompt,
        created_at=timezone.now(),
    )


def test_a_host_cannot_move_a_finished_video_back(user, make_video, caplog):
    video = make_video(user, status=Status.COMPLETED, openai_video_id="video_done")
    services.record_upstream_state(video, upstream_says(video, "in_progress", 40))
    video.refresh_from_db()
    assert video.status == Status.COMPLETED
    assert "reported 'in_progress' after 'completed'" in caplog.text


def test_a_status_the_host_made_up_changes_nothing(user, make_video):
    video = make_video(user, status=Status.QUEUED, openai_video_id="video_odd")
    services.record_upstream_state(video, upstream_says(video, "paused", 10))
    video.refresh_from_db()
    assert (video.status, video.progress) == (Status.QUEUED, 10)


def test_a_rendering_video_reported_queued_again_follows_the_host(user, make_video):
    video = make_video(user, status=Status.IN_PROGRESS, openai_video_id="video_retry")
    services.record_upstream_state(video, upstream_says(video, "queued"))
    video.refresh_from_db()
    assert video.status == Status.QUEUED


def test_our_own_moves_follow_the_lifecycle(user, make_video):
    done = make_video(user, status=Status.COMPLETED)
    with pytest.raises(ValueError, match="cannot go from completed to failed"):
        services.mark_failed(done, code="x", message="no")
    running = make_video(user, status=Status.QUEUED)
    with pytest.raises(ValueError, match="cannot go from queued to expired"):
        services.mark_expired(running)
    assert Video.objects.get(pk=done.pk).status == Status.COMPLETED
    assert Video.objects.get(pk=running.pk).status == Status.QUEUED


@pytest.mark.parametrize(
    ("fields", "live"),
    [
        ({"status": Status.PENDING}, True),
        ({"status": Status.IN_PROGRESS, "openai_video_id": "video_live"}, True),
        ({"status": Status.IN_PROGRESS, "hidden": True}, False),
        ({"status": Status.FAILED}, False),
        ({"status": Status.EXPIRED}, False),
    ],
)
def test_the_detail_page_tells_its_script_whether_to_poll(
    user_client, user, make_video, fields, live
):
    """video-status.js polls only a panel marked `data-live`: the model decides."""
    video = make_video(user, **fields)
    text = user_client.get(f"/videos/{video.pk}/").text
    panel = text[text.index('id="status-panel"') :].split(">", 1)[0]
    assert ("data-live" in panel) is live
    status = user_client.get(f"/videos/{video.pk}/status/").json()
    assert status["live"] is live
