"""Small helpers for the videos app's tests."""

import io
import time
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

SAMPLES = Path(__file__).resolve().parents[1] / "emulator" / "samples"


def image_upload(
    width: int, height: int, fmt: str = "PNG", name: str = "ref.png"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def wait_until(predicate, *, timeout: float = 10.0, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def poll_once(video) -> None:
    """One poller pass with this video due now, as the worker would run it."""
    from django.utils import timezone

    from videos import poller
    from videos.models import Video

    Video.objects.filter(pk=video.pk, next_poll_at__isnull=False).update(
        next_poll_at=timezone.now()
    )
    for claimed in poller.claim_due_videos(limit=10):
        poller.advance_video(claimed)


def poll_until(video, *statuses: str, archived: bool = False, timeout: float = 20):
    """Run poller passes until the video reaches one of `statuses` (and is archived)."""

    def reached():
        poll_once(video)
        video.refresh_from_db()
        done = video.status in statuses and (not archived or video.is_archived)
        return video if done else None

    return wait_until(reached, timeout=timeout, interval=0.2)


def archived_at_emulator(user, emulator, **fields):
    """A video created, completed at the emulator and archived, as the poller would."""
    from videos import archive, services, sora

    video = services.create_video(user=user, **fields)
    emulator.complete(video.openai_video_id)
    services.record_upstream_state(video, sora.fetch_video(video.openai_video_id))
    return archive.archive_video(video)
