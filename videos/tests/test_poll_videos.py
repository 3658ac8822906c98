"""`manage.py poll_videos` as a real process: passes, signals, and a SIGKILL mid-pass."""

import signal
import time

import pytest
from django.core.management import call_command

from videos.models import Video
from videos.tests.helpers import wait_until
from videos.tests.processes import manage, process_env, wait_for_output

Status = Video.Status


@pytest.mark.django_db(transaction=True)
def test_once_advances_and_logs_state_changes(user, make_video, emulator, caplog):
    video = make_video(user)
    with caplog.at_level("INFO", logger="videos"):
        call_command("poll_videos", "--once")
    video.refresh_from_db()
    assert video.status == Status.QUEUED
    assert f"video {video.pk}: pending → queued (0%)" in caplog.text
    assert "pass: 1 claimed, 1 advanced, 1 changed status" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_bad_options_are_a_clear_error():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("poll_videos", "--once", "--concurrency", "0")


@pytest.mark.django_db(transaction=True)
def test_once_with_nothing_due_exits_quickly(emulator):
    started = time.monotonic()
    process = manage("poll_videos", "--once", env=process_env(emulator))
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert time.monotonic() - started < 10


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_exits_zero_promptly(emulator, signum):
    process = manage("poll_videos", "--sleep", "0.2", env=process_env(emulator))
    wait_for_output(process, "poller started")  # its signal handlers are in place
    assert process.poll() is None
    sent = time.monotonic()
    process.send_signal(signum)
    output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    assert time.monotonic() - sent < 5
    assert "finishing the videos in hand" in output


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_pass_loses_nothing_and_pays_once(user, make_video, emulator):
    """Killed while ten creates are in flight: after the lease every video completes
    (and is archived), and the emulator saw exactly one create per video: the lost
    answers were found upstream and adopted."""
    emulator.configure(render_seconds=0.5)
    videos = [make_video(user, prompt=f"kill test {n}") for n in range(10)]
    emulator.inject_fault("/v1/videos", "hang", method="POST", seconds=2, count=10)
    env = process_env(emulator, POLL_LEASE_SECONDS="3", POLL_INTERVAL_MIN="0.2")
    process = manage(
        "poll_videos", "--concurrency", "10", "--batch-size", "10", env=env
    )
    wait_until(
        lambda: emulator.stats()["requests"].get("POST /v1/videos", 0) == 10, timeout=30
    )
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    wait_until(lambda: emulator.stats()["creates"] == 10, timeout=10)  # answers lost
    assert Video.objects.filter(status=Status.PENDING).count() == 10

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Video.objects.filter(archived_at__isnull=False).count() == 10:
            break
        time.sleep(1)
        once = manage("poll_videos", "--once", "--concurrency", "4", env=env)
        output, _ = once.communicate(timeout=60)
        assert once.returncode == 0, output
    assert Video.objects.filter(status=Status.COMPLETED).count() == 10
    assert emulator.stats()["creates"] == 10
    ids = {video.openai_video_id for video in Video.objects.all()}
    assert len(ids) == 10
    assert {v.pk for v in videos} == set(Video.objects.values_list("pk", flat=True))
    assert all(v.next_poll_at is None for v in Video.objects.all())


def test_unreachable_database_is_a_clear_error_not_a_traceback(emulator):
    env = process_env(emulator, DATABASE_URL="postgres://postgres@127.0.0.1:9/nowhere")
    for command in (["poll_videos", "--once"], ["archive_videos"]):
        process = manage(*command, env=env)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 1, output
        assert "Cannot reach the database" in output
        assert "Traceback" not in output


def test_bad_option_values_are_refused_without_a_traceback(emulator):
    process = manage("poll_videos", "--batch-size", "many", env=process_env(emulator))
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "invalid int value" in output and "Traceback" not in output
