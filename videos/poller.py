"""The poller: claim due videos safely across processes, and dispatch each one step.

`manage.py poll_videos` is a thin loop around `claim_due_videos` and `advance_video`.
The work itself is in `videos.services` (submit, refresh, archive), which the admin's
actions and the other commands call too; which videos are due is the model's lifecycle
(`Video.due_statuses()`). See docs/ARCHITECTURE.md, "The poller".

Claiming locks a batch of due rows with `SELECT … FOR UPDATE SKIP LOCKED` (so several
workers never take the same video), pushes their `next_poll_at` one lease ahead, and
commits at once: no transaction or row lock is held while the host is asked anything. A
worker killed mid-pass loses nothing — its videos fall due again when the lease ends.
On SQLite (no SKIP LOCKED) claims are serialized by the database's write lock; one
worker is the supported setup there.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from videos import services
from videos.models import Video

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """What one `advance_video` call did, for the log and the pass summary."""

    video_id: str
    old_status: str
    new_status: str
    progress: int
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.old_status != self.new_status


def due_videos(now: datetime) -> QuerySet[Video]:
    return Video.objects.filter(status__in=Video.due_statuses(), next_poll_at__lte=now)


def seconds_until_next_due(now: datetime | None = None) -> float:
    """How long until the next video falls due (0 if one is due; inf if none is)."""
    now = now or timezone.now()
    first = (
        Video.objects.filter(
            status__in=Video.due_statuses(), next_poll_at__isnull=False
        )
        .order_by("next_poll_at")
        .values_list("next_poll_at", flat=True)
        .first()
    )
    if first is None:
        return float("inf")
    return max((first - now).total_seconds(), 0.0)


def claim_due_videos(*, limit: int, now: datetime | None = None) -> list[Video]:
    """Take up to `limit` due videos for this worker, oldest due first."""
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.POLL_LEASE_SECONDS)
    with transaction.atomic():
        claimed = list(
            due_videos(now)
            .order_by("next_poll_at")
            .select_for_update(skip_locked=True)[:limit]
        )
        if claimed:
            Video.objects.filter(pk__in=[video.pk for video in claimed]).update(
                next_poll_at=lease_until, poll_attempts=F("poll_attempts") + 1
            )
    return claimed


def release_claims(videos: list[Video]) -> None:
    """Hand back claimed videos this worker will not get to (it is shutting down)."""
    if videos:
        Video.objects.filter(pk__in=[video.pk for video in videos]).update(
            next_poll_at=timezone.now()
        )


def advance_video(video: Video) -> Step:
    """Move one claimed video forward by one step of its lifecycle, and log it."""
    old_status = video.status
    note = _dispatch(video)
    step = Step(str(video.pk), old_status, video.status, video.progress, note)
    if step.changed:
        logger.info(
            "video %s: %s → %s (%d%%)%s",
            step.video_id,
            step.old_status,
            step.new_status,
            step.progress,
            f" {note}" if note else "",
        )
    elif note:
        logger.info("video %s: %s %s", step.video_id, step.new_status, note)
    return step


def _dispatch(video: Video) -> str:
    """The service for the video's place in its lifecycle; returns a note for the log."""
    if video.status == Video.Status.PENDING:
        return services.advance_pending(video)
    if video.is_completed:
        return services.archive_completed(video).note
    services.refresh_running(video)
    return ""
