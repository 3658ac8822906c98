"""The create flow's rules: quota reservation under concurrency, refunds, the ledger."""

import threading

import pytest
from django.db import connection

from videos import services
from videos.errors import QuotaExceeded
from videos.models import UsageCharge, Video
from videos.selectors import seconds_charged_today, usage_summary


def create(user, **overrides) -> Video:
    params = {
        "user": user,
        "prompt": "A fox in the snow",
        "model": "sora-2",
        "size": "720x1280",
        "seconds": 4,
    }
    return services.create_video(**{**params, **overrides})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_at_the_quota_edge_only_one_passes(
    make_user, emulator
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SQLite serializes all writers anyway)")
    user = make_user(daily_seconds_quota=8)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            barrier.wait()
            create(user, seconds=8)
            outcomes.append("created")
        except QuotaExceeded:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "refused"]
    assert Video.objects.filter(user=user).count() == 1
    assert seconds_charged_today(user) == 8


@pytest.mark.django_db
def test_a_failed_video_gives_its_seconds_back(user, emulator):
    video = create(user, prompt="will [fail]")
    assert seconds_charged_today(user) == 4
    emulator.complete(video.openai_video_id)
    from videos import poller

    poller.advance_video(Video.objects.get(pk=video.pk))
    assert Video.objects.get(pk=video.pk).status == Video.Status.FAILED
    assert seconds_charged_today(user) == 0


@pytest.mark.django_db
def test_deleting_a_video_does_not_give_seconds_back(user, emulator):
    video = create(user)
    services.delete_video(video=video)
    assert not Video.objects.exists()
    assert seconds_charged_today(user) == 4
    assert UsageCharge.objects.get(user=user).video is None


@pytest.mark.django_db
def test_usage_summary(user, make_video):
    make_video(user, seconds=4)
    make_video(user, seconds=8)
    make_video(user, seconds=12, status=Video.Status.FAILED)
    summary = usage_summary(user)
    assert summary["videos_today"] == 2
    assert summary["seconds_today"] == 12
    assert summary["seconds_total"] == 12
    assert summary["seconds_left"] == summary["quota"] - 12


@pytest.mark.django_db
def test_usage_summary_tells_deleted_and_hidden_videos_apart(
    user, make_video, django_assert_num_queries
):
    make_video(user, seconds=4)
    make_video(user, seconds=4, hidden=True)
    make_video(user, seconds=8).delete()
    make_video(user, seconds=12, status=Video.Status.FAILED)
    with django_assert_num_queries(2):
        summary = usage_summary(user)
    assert (summary["videos_total"], summary["seconds_total"]) == (3, 16)
    assert summary["videos_deleted"] == 1
    assert (summary["videos_kept"], summary["videos_hidden"]) == (3, 1)


@pytest.mark.django_db
def test_a_deactivated_user_cannot_create(make_user, emulator):
    from videos.errors import NotAllowed

    banned = make_user(is_active=False)
    with pytest.raises(NotAllowed):
        create(banned)
    assert not Video.objects.exists()


@pytest.mark.django_db
def test_a_video_that_fills_the_quota_exactly_is_allowed_and_the_next_is_not(
    make_user, emulator
):
    from videos.errors import QuotaExceeded

    user = make_user(daily_seconds_quota=8)
    create(user, seconds=4)
    exactly = create(user, seconds=4)  # 4 + 4 == 8: still within the quota
    assert exactly.status != Video.Status.FAILED
    assert seconds_charged_today(user) == 8
    with pytest.raises(QuotaExceeded):
        create(user, seconds=4)
    assert Video.objects.filter(user=user).count() == 2
