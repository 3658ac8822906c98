"""`videos/poller.py`: claiming and advancing, against the emulator over HTTP."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from videos import lost_submits, poller, services, sora
from videos.models import UsageCharge, Video

Status = Video.Status


def make_due(**filters) -> None:
    Video.objects.filter(**filters).update(next_poll_at=timezone.now())


def run_pass(limit: int = 100) -> list[poller.Step]:
    return [
        poller.advance_video(video) for video in poller.claim_due_videos(limit=limit)
    ]


def create(user, **overrides) -> Video:
    params = {
        "user": user,
        "prompt": "A hummingbird in slow motion",
        "model": "sora-2",
        "size": "1280x720",
        "seconds": 4,
    }
    return services.create_video(**{**params, **overrides})


@pytest.mark.django_db
def test_pending_to_completed_across_passes(user, make_video, emulator):
    emulator.configure(render_seconds=2.0)
    video = make_video(user)  # pending, never submitted
    statuses = [Video.objects.get(pk=video.pk).status]
    deadline = timezone.now() + timedelta(seconds=10)
    while statuses[-1] != Status.COMPLETED and timezone.now() < deadline:
        make_due()
        run_pass()
        video.refresh_from_db()
        if video.status != statuses[-1]:
            statuses.append(video.status)
    assert statuses == ["pending", "queued", "in_progress", "completed"]
    assert video.progress == 100
    assert video.completed_at and video.expires_at
    assert video.next_poll_at is not None  # due at once: the archive step
    run_pass()
    video.refresh_from_db()
    assert video.is_archived and video.next_poll_at is None
    assert emulator.stats()["creates"] == 1


@pytest.mark.django_db
def test_a_failing_video_ends_failed_with_the_upstream_error(user, emulator):
    video = create(user, prompt="this one will [fail]")
    emulator.complete(video.openai_video_id)
    make_due()
    run_pass()
    video.refresh_from_db()
    assert video.status == Status.FAILED
    assert video.error_code == "generation_failed"
    assert "could not be generated" in video.error_message
    assert not UsageCharge.objects.filter(video=video).exists()


@pytest.mark.django_db
def test_refused_pending_video_fails_with_the_message(user, make_video, emulator):
    video = make_video(user, prompt="nope [refuse]")
    run_pass()
    video.refresh_from_db()
    assert video.status == Status.FAILED
    assert "moderation" in video.error_message


@pytest.mark.django_db
def test_claims_move_next_poll_forward_and_skip_what_is_not_due(user, make_video):
    due = make_video(user)
    later = make_video(user, next_poll_at=timezone.now() + timedelta(minutes=5))
    done = make_video(user, status=Status.COMPLETED, next_poll_at=None)
    claimed = poller.claim_due_videos(limit=10)
    assert [video.pk for video in claimed] == [due.pk]
    due.refresh_from_db()
    assert due.next_poll_at > timezone.now() + timedelta(seconds=60)
    assert poller.claim_due_videos(limit=10) == []
    later.refresh_from_db()
    done.refresh_from_db()
    assert later.next_poll_at > timezone.now() + timedelta(minutes=4)  # untouched
    assert done.next_poll_at is None


@pytest.mark.django_db
def test_transient_errors_never_fail_a_video(user, emulator, settings):
    settings.OPENAI_MAX_RETRIES = 0
    video = create(user)
    emulator.complete(video.openai_video_id)
    for kind in ("500", "429", "503"):
        emulator.inject_fault("/v1/videos/*", kind, method="GET", retry_after=1)
        make_due()
        run_pass()
        video.refresh_from_db()
        assert video.status == Status.QUEUED
    assert video.transient_failures == 3
    assert video.last_transient_error
    make_due()
    run_pass()
    video.refresh_from_db()
    assert video.status == Status.COMPLETED
    assert video.transient_failures == 0


@pytest.mark.django_db
def test_timeouts_never_fail_a_video(user, emulator, settings):
    settings.OPENAI_MAX_RETRIES = 0
    settings.OPENAI_TIMEOUT = 0.3
    video = create(user)
    emulator.inject_fault("/v1/videos/*", "hang", method="GET", seconds=1)
    make_due()
    run_pass()
    video.refresh_from_db()
    assert video.status == Status.QUEUED and video.transient_failures == 1


@pytest.mark.django_db
def test_retry_after_is_honoured(user, emulator, settings):
    settings.OPENAI_MAX_RETRIES = 0
    video = create(user)
    emulator.inject_fault("/v1/videos/*", "429", method="GET", retry_after=90)
    make_due()
    run_pass()
    video.refresh_from_db()
    assert video.next_poll_at >= timezone.now() + timedelta(seconds=85)


@pytest.mark.django_db
def test_backoff_grows_then_resets_on_progress(user, emulator, settings):
    settings.POLL_JITTER = 0
    emulator.configure(render_seconds=20, poll_after_ms=0)  # queued for its first 2 s
    video = create(user)
    intervals = [video.poll_interval]
    for _ in range(3):
        make_due()
        run_pass()
        video.refresh_from_db()
        intervals.append(video.poll_interval)
    assert video.status == Status.QUEUED
    assert intervals == [5.0, 10.0, 20.0, 20.0]
    time.sleep(2.5)  # now in progress: news, so back to the floor
    make_due()
    run_pass()
    video.refresh_from_db()
    assert video.status == Status.IN_PROGRESS
    assert video.poll_interval == 5.0


@pytest.mark.django_db
def test_upstream_hint_sets_the_interval(user, emulator, settings):
    settings.POLL_JITTER = 0
    emulator.configure(render_seconds=3600, poll_after_ms=12000)
    video = create(user)
    make_due()
    run_pass()
    video.refresh_from_db()
    assert video.poll_interval == 12.0


@pytest.mark.django_db
def test_stuck_after_a_long_silence(user, emulator, settings):
    settings.OPENAI_MAX_RETRIES = 0
    settings.POLL_STUCK_AFTER = 60
    video = create(user)
    Video.objects.filter(pk=video.pk).update(
        last_upstream_answer_at=timezone.now() - timedelta(minutes=5)
    )
    emulator.inject_fault("/v1/videos/*", "500", method="GET")
    make_due()
    run_pass()
    video.refresh_from_db()
    assert video.stuck_since is not None
    assert video.status == Status.QUEUED


@pytest.mark.django_db
def test_a_lost_create_answer_is_adopted_not_paid_twice(user, emulator):
    emulator.inject_fault("/v1/videos", "drop", method="POST")
    video = create(user, prompt="the answer to this create is lost")
    assert video.status == Status.PENDING and video.submit_attempted_at
    assert emulator.stats()["creates"] == 1
    make_due()
    steps = run_pass()
    video.refresh_from_db()
    assert video.status == Status.QUEUED
    assert video.openai_video_id == emulator.videos()[0]["id"]
    assert "adopted" in steps[0].note
    assert emulator.stats()["creates"] == 1


@pytest.mark.django_db
def test_a_refused_then_retried_create_is_submitted_once_more(user, emulator):
    emulator.inject_fault("/v1/videos", "503", method="POST")
    video = create(user)
    assert video.status == Status.PENDING
    make_due()
    run_pass()
    video.refresh_from_db()
    assert video.status == Status.QUEUED
    assert emulator.stats()["creates"] == 1


@pytest.mark.django_db
def test_a_lost_create_never_adopts_an_older_lookalike(user, make_video, emulator):
    """Only videos created since the lost submit (less a margin) can be it: an older
    one with the same prompt and settings is someone's earlier video."""
    older = sora.submit_video(
        prompt="twin lighthouses", model="sora-2", size="1280x720", seconds=4
    )
    attempted = timezone.now() + lost_submits.RECONCILE_MARGIN + timedelta(seconds=5)
    video = make_video(user, prompt="twin lighthouses", submit_attempted_at=attempted)
    make_due()
    run_pass()
    video.refresh_from_db()
    assert video.openai_video_id and video.openai_video_id != older.id
    assert emulator.stats()["creates"] == 2  # not found, so submitted again


@pytest.mark.django_db
def test_identical_prompts_each_adopt_their_own(user, emulator):
    for _ in range(2):
        emulator.inject_fault("/v1/videos", "drop", method="POST")
        create(user, prompt="same words")
    make_due()
    run_pass()
    ids = set(Video.objects.values_list("openai_video_id", flat=True))
    assert len(ids) == 2 and None not in ids
    assert emulator.stats()["creates"] == 2


@pytest.mark.django_db
def test_a_pending_remix_is_submitted_as_a_remix(
    user, completed_video, make_video, emulator
):
    source = completed_video(user)
    remix = make_video(user, prompt="now in winter", remixed_from=source)
    run_pass()
    remix.refresh_from_db()
    assert remix.status == Status.QUEUED
    upstream = next(v for v in emulator.videos() if v["id"] == remix.openai_video_id)
    assert upstream["remixed_from_video_id"] == source.openai_video_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_pollers_share_200_videos_without_overlap(
    user, make_video, emulator, settings
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL; SQLite runs one poller")
    # One due time per video: once polled it must not fall due again during the
    # test, however slow the machine is, so every retrieve counted is a claim.
    settings.POLL_INTERVAL_MIN = settings.POLL_INTERVAL_MAX = 3600
    emulator.configure(render_seconds=3600)
    for n in range(200):
        upstream = sora.submit_video(
            prompt=f"clip {n}", model="sora-2", size="1280x720", seconds=4
        )
        make_video(
            user, prompt=f"clip {n}", status=Status.QUEUED, openai_video_id=upstream.id
        )
    make_due()
    barrier = threading.Barrier(2)
    claimed_by: dict[str, list[str]] = {"a": [], "b": []}

    def worker(name: str) -> None:
        try:
            barrier.wait()
            while batch := poller.claim_due_videos(limit=10):
                for video in batch:
                    poller.advance_video(video)
                    claimed_by[name].append(str(video.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in claimed_by]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = claimed_by["a"] + claimed_by["b"]
    assert len(everything) == 200 == len(set(everything))
    assert claimed_by["a"] and claimed_by["b"]
    retrieves = Counter(emulator.stats()["retrieves"])
    assert len(retrieves) == 200
    assert set(retrieves.values()) == {1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_skips_a_row_another_poller_holds_instead_of_waiting(user, make_video):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL; SQLite runs one poller")
    from django.db import transaction

    held = make_video(user, status=Status.QUEUED, openai_video_id="video_held")
    free = make_video(user, status=Status.QUEUED, openai_video_id="video_free")
    make_due()
    locked, release = threading.Event(), threading.Event()

    def other_poller() -> None:
        try:
            with transaction.atomic():
                Video.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=other_poller)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        claimed = poller.claim_due_videos(limit=10)
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    assert [video.pk for video in claimed] == [free.pk]
    assert waited < 2  # a blocking lock would have waited for the holder (10 s)
