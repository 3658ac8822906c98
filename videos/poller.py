"""The poller's logic: claim due videos safely across processes, advance each one step.

`manage.py poll_videos` is a thin loop around `claim_due_videos` and `advance_video`.

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

from videos import archive, services, sora
from videos.models import Video

logger = logging.getLogger(__name__)

Status = Video.Status

DUE_STATUSES = (Status.PENDING, Status.QUEUED, Status.IN_PROGRESS)
"""Statuses with upstream work to do; completed videos too while not archived."""

RECONCILE_MARGIN = timedelta(minutes=10)
"""How far before our submit attempt to look upstream (clocks differ)."""


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
    statuses = DUE_STATUSES + ((Status.COMPLETED,) if settings.VIDEO_ARCHIVE else ())
    return Video.objects.filter(status__in=statuses, next_poll_at__lte=now)


def seconds_until_next_due(now: datetime | None = None) -> float:
    """How long until the next video falls due (0 if one is due; inf if none is)."""
    now = now or timezone.now()
    statuses = DUE_STATUSES + ((Status.COMPLETED,) if settings.VIDEO_ARCHIVE else ())
    first = (
        Video.objects.filter(status__in=statuses, next_poll_at__isnull=False)
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
    """Move one claimed video forward by one upstream call (or two, to reconcile)."""
    old_status = video.status
    note = ""
    if video.status == Status.PENDING:
        note = _advance_pending(video)
    elif video.status == Status.COMPLETED:
        note = _archive(video)
    else:
        _advance_running(video)
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


def _advance_pending(video: Video) -> str:
    """Submit a pending video — unless an earlier, unanswered submit got through.

    Where the host cannot tell us (no list, a list refused, or one without prompts to
    match), the video is held for an admin instead: never resubmitted blindly.
    """
    if video.submit_attempted_at is not None:
        try:
            found = find_lost_submission(video)
        except sora.TransientError as error:
            services.record_transient_failure(video, error)
            return "(could not check for an earlier submit; will retry)"
        except CannotReconcile as reason:
            services.hold_unconfirmed(video, reason=str(reason))
            return f"(held for an admin: {reason})"
        if found is not None:
            services.record_accepted(video, found)
            return f"(adopted {found.id}, submitted earlier without an answer)"
    services.submit_pending_video(video)
    if video.status == Status.PENDING:
        return f"({sora.host_name()} unavailable; will retry)"
    return ""


def _advance_running(video: Video) -> None:
    try:
        upstream = sora.fetch_video(video.openai_video_id)
    except sora.GoneError as error:
        services.mark_failed(
            video,
            code="not_found",
            message=f"{sora.host_name()} no longer has this video: {error}",
        )
    except sora.RefusedError as error:
        # A refusal to *read* (a revoked key, say) is not a verdict on the video.
        services.record_transient_failure(video, sora.TransientError(error.message))
    except sora.TransientError as error:
        services.record_transient_failure(video, error)
    else:
        services.record_upstream_state(video, upstream)


def _archive(video: Video) -> str:
    """Copy a completed video into our storage, before the host's copy expires."""
    try:
        archive.archive_video(video)
    except sora.GoneError:
        services.mark_expired(video)
        return "(its assets expired at the host before they could be archived)"
    except sora.TransientError as error:
        if video.expires_at and timezone.now() >= video.expires_at:
            services.mark_expired(video)
            return "(expired at the host while the archive kept failing)"
        services.record_transient_failure(video, error)
        return f"(archive failed, will retry: {error.message})"
    return "(archived)" if video.archived_at else ""


class CannotReconcile(Exception):
    """The host cannot say whether a lost submit was accepted; str() says why."""


def find_lost_submission(video: Video) -> sora.UpstreamVideo | None:
    """The upstream video an unanswered submit created, if it exists and is unclaimed.

    The list endpoint gives prompt, model, size, seconds and created_at; a match that
    no other row has adopted is ours. Raises CannotReconcile where the host cannot
    list, refuses to, or lists videos without their prompts (LiteLLM answers
    `prompt: null`): a video we cannot see might be ours.
    """
    if not video.host_profile.list:
        raise CannotReconcile(services.lost_submit_reason("cannot_list"))
    since = video.submit_attempted_at - RECONCILE_MARGIN
    source_id = None
    if video.remixed_from_id:
        source_id = (
            Video.objects.filter(pk=video.remixed_from_id)
            .values_list("openai_video_id", flat=True)
            .first()
        )
    try:
        for candidate in sora.iter_videos(created_since=since):
            if candidate.prompt is None:
                raise CannotReconcile(services.lost_submit_reason("no_prompts"))
            if _same_request(video, candidate, source_id=source_id) and not (
                Video.objects.filter(openai_video_id=candidate.id).exists()
            ):
                return candidate
    except sora.RefusedError as error:
        raise CannotReconcile(
            services.lost_submit_reason("list_refused", error.message)
        ) from error
    return None


def _same_request(
    video: Video, candidate: sora.UpstreamVideo, *, source_id: str | None
) -> bool:
    same_model = candidate.model == video.model or candidate.model.startswith(
        f"{video.model}-"
    )
    return (
        (candidate.prompt or "").strip() == video.prompt.strip()
        and same_model
        and candidate.size == video.size
        and candidate.seconds == video.seconds
        and candidate.remixed_from_id == source_id
    )
