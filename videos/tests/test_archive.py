"""Archiving finished videos into our storage, and serving them from there."""

import hashlib
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from videos import poller, services
from videos.models import Video

pytestmark = pytest.mark.django_db

Status = Video.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.VIDEO_ARCHIVE = True
    return tmp_path


def finish(user, emulator, **overrides) -> Video:
    """Create a video and run the poller until it is completed (and archived)."""
    video = services.create_video(
        user=user,
        prompt=overrides.pop("prompt", "A glacier calving into the sea"),
        model="sora-2",
        size="1280x720",
        seconds=4,
    )
    emulator.complete(video.openai_video_id)
    for _ in range(3):
        Video.objects.filter(pk=video.pk, next_poll_at__isnull=False).update(
            next_poll_at=timezone.now()
        )
        for claimed in poller.claim_due_videos(limit=10):
            poller.advance_video(claimed)
    video.refresh_from_db()
    return video


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_completion_archives_all_three_assets(user, emulator, media, sample_bytes):
    video = finish(user, emulator)
    assert video.status == Status.COMPLETED
    assert video.is_archived and video.archived_at
    assert video.archive_size == len(sample_bytes)
    assert video.archive_sha256 == hashlib.sha256(sample_bytes).hexdigest()
    assert (media / video.archived_video.name).read_bytes() == sample_bytes
    assert video.archived_thumbnail.name.endswith(".webp")
    assert video.archived_spritesheet.name.endswith(".webp")
    assert video.next_poll_at is None


def test_archived_video_plays_after_the_upstream_is_gone(
    user, client_for, emulator, sample_bytes, clip_bytes, settings
):
    video = finish(user, emulator)
    emulator.expire(video.openai_video_id)  # upstream now answers 404
    client = client_for(user)
    url = f"/videos/{video.pk}/content/"

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == str(len(sample_bytes))
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] and response["Last-Modified"]
    assert body(response) == sample_bytes

    response = client.get(url, HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(sample_bytes)}"
    assert response["Content-Length"] == "100"
    assert body(response) == sample_bytes[100:200]

    response = client.get(url, HTTP_RANGE="bytes=999999999-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(sample_bytes)}"

    thumbnail = client.get(url + "?variant=thumbnail")
    assert body(thumbnail) == clip_bytes("thumbnail")
    assert thumbnail["Content-Type"] == "image/webp"


def test_archived_copy_answers_conditional_and_head_requests(
    user, client_for, emulator, sample_bytes
):
    video = finish(user, emulator)
    client = client_for(user)
    url = f"/videos/{video.pk}/content/"
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head["Content-Length"] == str(len(sample_bytes))
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"old"')
    assert stale.status_code == 200
    download = client.get(url + "?download=1")
    assert download["Content-Disposition"].startswith("attachment;")


def test_an_interrupted_copy_retries_and_ends_with_the_right_checksum(
    user, emulator, media, sample_bytes
):
    emulator.inject_fault("/v1/videos/*/content", "cut", method="GET")
    video = finish(user, emulator)
    assert video.is_archived
    assert video.archive_sha256 == hashlib.sha256(sample_bytes).hexdigest()
    files = sorted(p.name for p in (media / "archive" / str(video.pk)).iterdir())
    assert len(files) == 3  # the half-written file was removed


def test_assets_expiring_before_the_archive_make_the_video_expired(
    user, client_for, emulator
):
    video = services.create_video(
        user=user, prompt="too late", model="sora-2", size="1280x720", seconds=4
    )
    emulator.complete(video.openai_video_id)
    emulator.expire(video.openai_video_id)
    for _ in range(2):
        Video.objects.filter(pk=video.pk).update(next_poll_at=timezone.now())
        for claimed in poller.claim_due_videos(limit=10):
            poller.advance_video(claimed)
    video.refresh_from_db()
    assert video.status == Status.EXPIRED
    client = client_for(user)
    assert client.get(f"/videos/{video.pk}/content/").status_code == 410
    assert "This video has expired." in client.get(f"/videos/{video.pk}/").text


def test_repeated_failures_past_expires_at_expire_the_video(user, emulator, settings):
    settings.OPENAI_MAX_RETRIES = 0
    video = finish(user, emulator)  # archived; make another that cannot be
    other = services.create_video(
        user=user, prompt="flaky", model="sora-2", size="1280x720", seconds=4
    )
    emulator.complete(other.openai_video_id)
    Video.objects.filter(pk=other.pk).update(
        status=Status.COMPLETED,
        expires_at=timezone.now() - timedelta(seconds=1),
        next_poll_at=timezone.now(),
    )
    emulator.inject_fault("/v1/videos/*/content", "503", count=5)
    for claimed in poller.claim_due_videos(limit=10):
        poller.advance_video(claimed)
    other.refresh_from_db()
    assert other.status == Status.EXPIRED
    assert video.is_archived


def test_delete_removes_the_archived_files(user, emulator, media):
    video = finish(user, emulator)
    folder = media / "archive" / str(video.pk)
    assert len(list(folder.iterdir())) == 3
    services.delete_video(video=video)
    assert list(folder.iterdir()) == []


def test_archive_off_keeps_the_proxy(
    user, client_for, emulator, settings, sample_bytes
):
    settings.VIDEO_ARCHIVE = False
    video = finish(user, emulator)
    assert video.status == Status.COMPLETED
    assert not video.is_archived and video.next_poll_at is None
    response = client_for(user).get(f"/videos/{video.pk}/content/")
    assert b"".join(response.streaming_content) == sample_bytes
    assert emulator.stats()["requests"]["GET /v1/videos/{id}/content"] == 1


def test_archive_videos_backfills(user, emulator, settings, capsys):
    settings.VIDEO_ARCHIVE = False
    video = finish(user, emulator)
    call_command("archive_videos", "--dry-run")
    assert f"would archive {video.pk}" in capsys.readouterr().out
    call_command("archive_videos")
    assert "Archived 1, expired 0, failed 0." in capsys.readouterr().out
    video.refresh_from_db()
    assert video.is_archived


def test_archive_videos_verify_finds_a_corrupted_file(user, emulator, media, capsys):
    intact = finish(user, emulator)
    broken = finish(user, emulator, prompt="a second one")
    call_command("archive_videos", "--verify")
    assert "Verified 2 archived videos: all intact." in capsys.readouterr().out
    path = media / broken.archived_video.name
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="1 of 2 archived videos failed"):
        call_command("archive_videos", "--verify")
    err = capsys.readouterr().err
    assert f"{broken.pk}: CORRUPT" in err and str(intact.pk) not in err
