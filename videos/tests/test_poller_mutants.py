"""The poller's bookkeeping that `make mutants` found untested.

`seconds_until_next_due` is how long `manage.py poll_videos` sleeps between passes: too
long and finished videos wait (their archive too, before the host's copy expires), zero
and the worker spins. Claims and releases decide which worker may touch a video.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from videos import poller
from videos.models import Video

pytestmark = pytest.mark.django_db

Status = Video.Status


def test_nothing_due_ever_is_an_endless_wait(user, make_video):
    make_video(user, status=Status.COMPLETED, next_poll_at=None)
    assert poller.seconds_until_next_due() == float("inf")


def test_the_wait_is_until_the_earliest_due_video(user, make_video):
    now = timezone.now()
    make_video(user, status=Status.QUEUED, next_poll_at=now + timedelta(seconds=90))
    make_video(user, status=Status.QUEUED, next_poll_at=now + timedelta(seconds=30))
    make_video(user, status=Status.IN_PROGRESS, next_poll_at=None)
    assert poller.seconds_until_next_due(now) == pytest.approx(30.0)


def test_a_video_already_due_means_no_wait(user, make_video):
    now = timezone.now()
    make_video(user, status=Status.PENDING, next_poll_at=now - timedelta(seconds=45))
    assert poller.seconds_until_next_due(now) == 0.0


def test_without_a_time_given_the_wait_counts_from_now(user, make_video):
    make_video(
        user, status=Status.QUEUED, next_poll_at=timezone.now() + timedelta(minutes=5)
    )
    assert 290 < poller.seconds_until_next_due() <= 300


def test_videos_the_poller_does_not_look_at_do_not_shorten_the_wait(
    user, make_video, settings
):
    settings.VIDEO_ARCHIVE = False  # completed videos are not the poller's business
    now = timezone.now()
    make_video(user, status=Status.FAILED, next_poll_at=now)
    make_video(user, status=Status.COMPLETED, next_poll_at=now)
    make_video(user, status=Status.QUEUED, next_poll_at=now + timedelta(seconds=20))
    assert poller.seconds_until_next_due(now) == pytest.approx(20.0)


def test_completed_videos_count_while_the_poller_archives(user, make_video, settings):
    settings.VIDEO_ARCHIVE = True
    now = timezone.now()
    make_video(user, status=Status.COMPLETED, next_poll_at=now + timedelta(seconds=5))
    assert poller.seconds_until_next_due(now) == pytest.approx(5.0)


def test_a_claim_takes_the_oldest_due_first_and_leases_them(user, make_video, settings):
    settings.POLL_LEASE_SECONDS = 120
    now = timezone.now()
    later = make_video(user, next_poll_at=now - timedelta(seconds=10))
    oldest = make_video(user, next_poll_at=now - timedelta(seconds=60))
    not_yet = make_video(user, next_poll_at=now + timedelta(seconds=60))
    claimed = poller.claim_due_videos(limit=1, now=now)
    assert [video.pk for video in claimed] == [oldest.pk]
    oldest.refresh_from_db()
    assert oldest.next_poll_at == now + timedelta(seconds=120)
    assert oldest.poll_attempts == 1
    later.refresh_from_db()
    assert later.next_poll_at == now - timedelta(seconds=10)
    assert later.poll_attempts == 0
    assert poller.claim_due_videos(limit=10, now=now) == [later]
    not_yet.refresh_from_db()
    assert not_yet.poll_attempts == 0


def test_a_claim_with_nothing_due_changes_nothing(user, make_video):
    now = timezone.now()
    video = make_video(user, next_poll_at=now + timedelta(seconds=60))
    assert poller.claim_due_videos(limit=5, now=now) == []
    video.refresh_from_db()
    assert video.poll_attempts == 0


def test_released_claims_fall_due_at_once(user, make_video):
    now = timezone.now()
    video = make_video(user, next_poll_at=now - timedelta(seconds=1))
    untouched = make_video(user, next_poll_at=now + timedelta(hours=1))
    claimed = poller.claim_due_videos(limit=5, now=now)
    assert claimed == [video]
    poller.release_claims(claimed)
    video.refresh_from_db()
    assert video.next_poll_at <= timezone.now()
    untouched.refresh_from_db()
    assert untouched.next_poll_at == now + timedelta(hours=1)
    poller.release_claims([])  # nothing in hand: nothing to do


def test_a_step_is_a_change_only_when_the_status_moved():
    assert poller.Step("v", "queued", "in_progress", 10).changed
    assert not poller.Step("v", "queued", "queued", 10).changed
