"""Writes to videos: create, remix, submit, record what the host said, delete.

Views, admin actions and the poller call these; none of them holds a business rule of
its own. Every call to the host goes through `videos.sora`, and none is made while a
database transaction is open. What users read names the host (`sora.host_name()`).
"""

import logging
import mimetypes
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import email_claims
from accounts.models import User
from videos import archive, backoff, estimates, sora
from videos.errors import (
    NotAllowed,
    PromptFlagged,
    QuotaExceeded,
    UpstreamRefused,
    UpstreamUnavailable,
)
from videos.lost_submits import (
    CannotReconcile,
    find_lost_submission,
    lost_submit_reason,
    remix_source_id,
)
from videos.models import UsageCharge, Video
from videos.selectors import seconds_charged_today
from videos.storage_urls import stored_name

logger = logging.getLogger(__name__)

Status = Video.Status

CAPABILITY_PARAMS = {"model", "size", "seconds", "input_reference"}
"""Upstream refusals of these are the form's business: shown on the field, not charged."""


# --- create and remix ----------------------------------------------------------------


def create_video(
    *,
    user: User,
    prompt: str,
    model: str,
    size: str,
    seconds: int,
    input_reference: UploadedFile | None = None,
    form_token: uuid.UUID | None = None,
) -> Video:
    """Moderate, charge the quota, save as pending and submit: the create flow.

    Returns the video (queued, pending for a retry, or failed with the host's message).
    Raises PromptFlagged, QuotaExceeded, NotAllowed or UpstreamRefused (nothing saved).
    """
    _ensure_can_create(user)
    _moderate(prompt)
    fields: dict[str, Any] = {"prompt": prompt, "model": model, "size": size}
    if input_reference is not None:
        input_reference.name = _reference_name(input_reference)
        fields["input_reference"] = input_reference
    video, created = _reserve(
        user=user, seconds=seconds, form_token=form_token, fields=fields
    )
    if not created:
        return video
    return _submit_new(video)


def remix_video(
    *,
    user: User,
    source: Video,
    prompt: str,
    form_token: uuid.UUID | None = None,
) -> Video:
    """A new video made from a completed one, under the same rules as a create."""
    if not source.can_remix:
        raise NotAllowed(why_not_remixable(source))
    _ensure_can_create(user)
    _moderate(prompt)
    video, created = _reserve(
        user=user,
        seconds=source.seconds,
        form_token=form_token,
        fields={
            "prompt": prompt,
            "model": source.model,
            "size": source.size,
            "remixed_from": source,
        },
    )
    if not created:
        return video
    return _submit_new(video)


def why_not_remixable(video: Video) -> str:
    if video.hidden:
        return "A moderator hid this video, so it cannot be remixed."
    if not video.host_profile.remix:
        return f"{sora.host_name()} cannot remix {video.model} videos."
    return "Only a completed video can be remixed."


def _ensure_can_create(user: User) -> None:
    """Only an active account whose address is confirmed spends quota (and money):
    an unconfirmed address could be anyone's."""
    if not user.is_active:
        raise NotAllowed("This account is deactivated and cannot create videos.")
    if not email_claims.has_verified_login_email(user):
        raise NotAllowed(UNVERIFIED_EMAIL)


UNVERIFIED_EMAIL = (
    "Confirm your email address before making videos: open the link we emailed you, "
    "or send it again from Email addresses on your profile."
)


def _moderate(prompt: str) -> None:
    try:
        moderation = sora.moderate_prompt(prompt)
    except sora.SoraError as error:
        raise UpstreamUnavailable(
            f"We could not check the prompt with {sora.host_name()}'s moderation "
            "right now; nothing was charged. Please try again in a minute.",
            field="prompt",
        ) from error
    if moderation.flagged:
        reasons = ", ".join(moderation.categories) or "its content policy"
        raise PromptFlagged(
            f"{sora.host_name()}'s moderation flagged this prompt ({reasons}). "
            "Please rephrase it; nothing was charged."
        )


def _reserve(
    *, user: User, seconds: int, form_token: uuid.UUID | None, fields: dict
) -> tuple[Video, bool]:
    """Check the quota and save the pending video with its charge, atomically.

    Locking the user's row serializes one user's creates, so two at the quota's edge
    cannot both pass. A form token already used returns that video instead.
    """
    try:
        with transaction.atomic():
            User.objects.select_for_update().only("pk").get(pk=user.pk)
            if form_token is not None:
                existing = Video.objects.filter(
                    user=user, form_token=form_token
                ).first()
                if existing is not None:
                    return existing, False
            used = seconds_charged_today(user)
            quota = user.effective_daily_quota
            if used + seconds > quota:
                raise QuotaExceeded(
                    f"This video needs {seconds} seconds but only {max(quota - used, 0)} "
                    f"of your {quota} seconds for today are left. Your quota starts "
                    f"over at midnight ({timezone.get_current_timezone_name()})."
                )
            now = timezone.now()
            video = Video.objects.create(
                user=user,
                seconds=seconds,
                form_token=form_token,
                status=Status.PENDING,
                created_at=now,
                # The request submits it right away; the poller steps in only if this
                # process dies before recording the answer.
                next_poll_at=now + timedelta(seconds=settings.POLL_LEASE_SECONDS),
                **fields,
            )
            UsageCharge.objects.create(
                user=user, video=video, seconds=seconds, created_at=now
            )
    except IntegrityError:
        # The same form token raced past the lookup in another process.
        existing = Video.objects.filter(user=user, form_token=form_token).first()
        if form_token is None or existing is None:
            raise
        return existing, False
    return video, True


def _submit_new(video: Video) -> Video:
    return submit_pending_video(video, from_form=True)


def submit_pending_video(video: Video, *, from_form: bool = False) -> Video:
    """Submit a pending video and record the host's verdict, or schedule a retry.

    From the create form (`from_form`), a refused model, size, length or image is the
    form's error: the video is un-created and uncharged, and UpstreamRefused raised.
    Elsewhere (the poller) any refusal fails the video with the host's message.
    """
    try:
        upstream = send_to_host(video)
    except sora.RefusedError as error:
        if from_form and error.param in CAPABILITY_PARAMS:
            _discard(video)
            raise UpstreamRefused(error.message, field=error.param) from error
        return mark_failed(video, code=error.code or "refused", message=error.message)
    except sora.GoneError as error:
        return mark_failed(video, code="source_gone", message=_source_gone(error))
    except sora.TransientError as error:
        if not error.outcome_unknown:
            # A 429, or a connection never made: no video. Resend without a lookup.
            _forget_submit_attempt(video)
        video = record_transient_failure(video, error)
        if error.outcome_unknown and not video.host_profile.list:
            # Nothing can be looked up later, so there is nothing to wait for.
            return hold_unconfirmed(video, reason=lost_submit_reason("cannot_list"))
        return video
    return record_accepted(video, upstream)


def _forget_submit_attempt(video: Video) -> None:
    Video.objects.filter(pk=video.pk).update(submit_attempted_at=None)
    video.submit_attempted_at = None


def _discard(video: Video) -> None:
    UsageCharge.objects.filter(video=video).delete()
    reference = video.input_reference
    video.delete()
    if reference:
        reference.storage.delete(stored_name(reference))


def _reference_name(upload: UploadedFile) -> str:
    extension = mimetypes.guess_extension(upload.content_type or "") or ""
    return f"reference{extension}"


def _source_gone(error: sora.GoneError) -> str:
    return f"The original video no longer exists at {sora.host_name()}: {error.message}"


# --- talking to the host and recording its answers --------------------------------------


def send_to_host(video: Video) -> sora.UpstreamVideo:
    """Submit (or remix) a pending video, recording the attempt first.

    The attempt is saved before the call: if the answer is lost, the poller knows to
    look for the video upstream before paying for a second one.
    """
    now = timezone.now()
    Video.objects.filter(pk=video.pk).update(submit_attempted_at=now)
    video.submit_attempted_at = now
    if video.remixed_from_id:
        source_id = remix_source_id(video)
        if not source_id:
            raise sora.GoneError("the video it was remixed from was deleted")
        return sora.remix_video(source_id, prompt=video.prompt)
    if not video.input_reference:
        return sora.submit_video(
            prompt=video.prompt,
            model=video.model,
            size=video.size,
            seconds=video.seconds,
        )
    with video.input_reference.open("rb") as image:
        name = PurePath(stored_name(video.input_reference)).name
        return sora.submit_video(
            prompt=video.prompt,
            model=video.model,
            size=video.size,
            seconds=video.seconds,
            input_reference=sora.ReferenceImage(
                filename=name,
                file=image,
                content_type=mimetypes.guess_type(name)[0] or "image/png",
            ),
        )


# --- one step of a due video: what the poller dispatches to ------------------------------


def advance_pending(video: Video) -> str:
    """Submit a pending video — unless an earlier, unanswered submit got through.

    Where the host cannot tell us (no list, a list refused, or one without prompts to
    match), the video is held for an admin instead: never resubmitted blindly.
    Returns a note for the log ("" when there is nothing to say).
    """
    if video.submit_attempted_at is not None:
        try:
            found = find_lost_submission(video)
        except sora.TransientError as error:
            record_transient_failure(video, error)
            return "(could not check for an earlier submit; will retry)"
        except CannotReconcile as reason:
            hold_unconfirmed(video, reason=str(reason))
            return f"(held for an admin: {reason})"
        if found is not None:
            record_accepted(video, found)
            return f"(adopted {found.id}, submitted earlier without an answer)"
    submit_pending_video(video)
    if video.status == Status.PENDING:
        return f"({sora.host_name()} unavailable; will retry)"
    return ""


def refresh_running(video: Video) -> None:
    """Ask the host how a queued or rendering video is doing, and record it."""
    try:
        upstream = sora.fetch_video(video.host_id())
    except sora.GoneError as error:
        mark_failed(
            video,
            code="not_found",
            message=f"{sora.host_name()} no longer has this video: {error}",
        )
    except sora.RefusedError as error:
        # A refusal to *read* (a revoked key, say) is not a verdict on the video.
        record_transient_failure(video, sora.TransientError(error.message))
    except sora.TransientError as error:
        record_transient_failure(video, error)
    else:
        record_upstream_state(video, upstream)


@dataclass(frozen=True)
class ArchiveOutcome:
    """What `archive_completed` did: archived, expired, or neither (`problem` says why)."""

    archived: bool = False
    expired: bool = False
    problem: str = ""

    @property
    def note(self) -> str:
        """For the poller's log line."""
        if self.expired:
            return f"({self.problem}, before it could be archived)"
        if self.problem:
            return f"(archive failed, will retry: {self.problem})"
        return "(archived)" if self.archived else ""


def archive_completed(video: Video) -> ArchiveOutcome:
    """Copy a completed video into our storage, before the host's copy expires.

    The one place that decides what an archive failure means, for the poller, the
    admin's "Archive now" and `manage.py archive_videos` alike: the host no longer has
    the file (or its expiry passed while copies kept failing) → expired; anything else
    is transient → the poller tries again later, with backoff.
    """
    try:
        archive.archive_video(video)
    except sora.GoneError:
        mark_expired(video)
        return ArchiveOutcome(expired=True, problem=f"expired at {sora.host_name()}")
    except sora.TransientError as error:
        if video.expires_at and timezone.now() >= video.expires_at:
            mark_expired(video)
            return ArchiveOutcome(
                expired=True,
                problem=f"expired at {sora.host_name()} while copies kept failing "
                f"({error.message})",
            )
        record_transient_failure(video, error)
        return ArchiveOutcome(problem=error.message)
    return ArchiveOutcome(archived=video.archived_at is not None)


# --- recording the host's answers ----------------------------------------------------------


def record_accepted(video: Video, upstream: sora.UpstreamVideo) -> Video:
    """The host has the video: remember its id, then its state, as a poll would."""
    now = timezone.now()
    estimate = estimates.learn(
        model=video.model, size=video.size, seconds=video.seconds
    )
    accepted = {
        "openai_video_id": upstream.id,
        "submitted_at": now,
        "poll_interval": 0,
        "expected_render_seconds": round(estimate.seconds, 1),
        "render_spread_seconds": round(estimate.spread, 1),
        "estimate_samples": estimate.samples,
    }
    try:
        updated = Video.objects.filter(pk=video.pk, status=Status.PENDING).update(
            **accepted
        )
    except IntegrityError:
        # Another row adopted this upstream video first (identical lost submits).
        return record_transient_failure(
            video, sora.TransientError(f"{upstream.id} was adopted by another video")
        )
    if not updated:
        # Deleted (or adopted elsewhere) while we waited: don't leave a paid orphan.
        _delete_orphan(video, upstream.id)
        return video
    return record_upstream_state(_apply(video, accepted), upstream)


def record_upstream_state(video: Video, upstream: sora.UpstreamVideo) -> Video:
    """Store what a retrieve said and schedule the next poll (or none, if finished)."""
    now = timezone.now()
    status = _next_status(video, upstream.status)
    progressed = status != video.status or upstream.progress != video.progress
    changes = {
        "status": status,
        "progress": 100 if status == Status.COMPLETED else upstream.progress,
        "completed_at": upstream.completed_at,
        "expires_at": upstream.expires_at,
        "error_code": upstream.error_code[:64],
        "error_message": upstream.error_message,
        "last_upstream_answer_at": now,
        "transient_failures": 0,
        "last_transient_error": "",
        "stuck_since": None,
    }
    if status in (Status.QUEUED, Status.IN_PROGRESS):
        changes.update(_next_poll(video, now, progressed, upstream.poll_after_seconds))
    elif status == Status.COMPLETED and settings.VIDEO_ARCHIVE:
        changes["next_poll_at"] = now  # archive it next, long before it expires
    else:
        changes["next_poll_at"] = None
    if status == Status.FAILED:
        changes["error_code"] = changes["error_code"] or "failed"
        changes["error_message"] = (
            changes["error_message"]
            or f"{sora.host_name()} could not generate this video."
        )
    Video.objects.filter(pk=video.pk).update(**changes)
    if status == Status.FAILED:
        UsageCharge.objects.filter(video_id=video.pk).delete()
    return _apply(video, changes)


def _next_status(video: Video, reported: str) -> str:
    """The host's status, where the lifecycle allows it (Video.TRANSITIONS); else ours.

    A host that reports something we cannot follow (a status we do not know, or a
    finished video running again) changes nothing, and the log says so.
    """
    if reported in Status.values and Video.can_move(video.status, reported):
        return reported
    logger.warning(
        "video %s: %s reported %r after '%s'; kept it",
        video.pk,
        sora.host_name(),
        reported,
        video.status,
    )
    return video.status


def _next_poll(
    video: Video, now: datetime, progressed: bool, hint: float | None
) -> dict[str, Any]:
    """When to ask again: by progress where the host reports it, else by history."""
    window = None if video.host_profile.progress else estimates.poll_window(video)
    dense = False
    if window is None:
        interval = backoff.next_interval(
            video.poll_interval, progressed=progressed, hint=hint
        )
    else:
        elapsed = (now - (video.submitted_at or video.created_at)).total_seconds()
        interval = backoff.window_interval(
            elapsed, window, previous=video.poll_interval
        )
        dense = interval <= backoff.floor()
        if hint is not None:
            interval = max(interval, hint)
    return {
        "poll_interval": interval,
        "next_poll_at": backoff.due_after(
            now, interval, not_before=min(hint or 0, interval), only_shorter=dense
        ),
    }


def record_transient_failure(video: Video, error: sora.TransientError) -> Video:
    """No verdict: try again later, after the upstream's Retry-After if it gave one.

    Never fails the video. After POLL_STUCK_AFTER without any answer it is flagged as
    stuck, for an admin to look at.
    """
    now = timezone.now()
    interval = backoff.next_interval(video.poll_interval, progressed=False)
    last_answer = video.last_upstream_answer_at or video.created_at
    stuck = (now - last_answer).total_seconds() >= settings.POLL_STUCK_AFTER
    changes = {
        "poll_interval": interval,
        "next_poll_at": backoff.due_after(
            now, interval, not_before=error.retry_after or 0
        ),
        "transient_failures": video.transient_failures + 1,
        "last_transient_error": error.message[:1000],
        "stuck_since": (video.stuck_since or now) if stuck else None,
    }
    Video.objects.filter(pk=video.pk).update(**changes)
    logger.warning("video %s: transient upstream error: %s", video.pk, error.message)
    return _apply(video, changes)


def mark_failed(video: Video, *, code: str, message: str) -> Video:
    """The host's verdict: the video failed. Its seconds go back to the user's quota."""
    _ensure_can_move(video, Status.FAILED)
    changes = {
        "status": Status.FAILED,
        "error_code": code[:64],
        "error_message": message,
        "next_poll_at": None,
        "last_upstream_answer_at": timezone.now(),
    }
    Video.objects.filter(pk=video.pk).update(**changes)
    UsageCharge.objects.filter(video_id=video.pk).delete()
    return _apply(video, changes)


def mark_expired(video: Video) -> Video:
    """The host's assets are gone and we have no copy: nothing left to play."""
    _ensure_can_move(video, Status.EXPIRED)
    changes = {"status": Status.EXPIRED, "next_poll_at": None}
    Video.objects.filter(pk=video.pk).update(**changes)
    logger.warning("video %s expired before it could be archived", video.pk)
    return _apply(video, changes)


def requeue(video: Video, *, at: datetime | None = None) -> None:
    """Put a video back into the poller's due set now (an admin's "retry")."""
    Video.objects.filter(pk=video.pk).update(
        next_poll_at=at or timezone.now(),
        poll_interval=0,
        stuck_since=None,
        transient_failures=0,
    )


def _ensure_can_move(video: Video, status: str) -> None:
    """Our own moves follow the lifecycle too; one that does not is a bug, not data."""
    if not Video.can_move(video.status, status):
        raise ValueError(f"video {video.pk} cannot go from {video.status} to {status}")


def _apply(video: Video, changes: dict) -> Video:
    for name, value in changes.items():
        setattr(video, name, value)
    return video


def _delete_orphan(video: Video, openai_video_id: str) -> None:
    if not video.host_profile.delete:
        logger.error(
            "upstream video %s has no row here, and %s cannot delete it",
            openai_video_id,
            sora.host_name(),
        )
        return
    try:
        sora.delete_video(openai_video_id)
    except sora.SoraError as error:
        logger.error(
            "upstream video %s has no row here and could not be deleted: %s",
            openai_video_id,
            error.message,
        )


# --- delete ------------------------------------------------------------------------------


def delete_video(*, video: Video) -> str:
    """Delete at the host (already gone is fine), then here, then our files.

    Returns "" when the host no longer has the video, else what to tell the user about
    the copy it keeps: LiteLLM has no delete, vLLM-Omni deletes only running jobs. If
    the host cannot be reached nothing is deleted: the user can try again, and no
    video is left running upstream without a row that shows it. Files go last, after
    the row, so a failed file delete leaves an unreferenced file, never a row that
    points at nothing.
    """
    host_id = video.openai_video_id
    host_kept = _delete_at_host(video, host_id) if host_id else ""
    files = [
        field
        for field in (
            video.input_reference,
            video.archived_video,
            video.archived_thumbnail,
            video.archived_spritesheet,
        )
        if field
    ]
    video.delete()
    for field in files:
        try:
            field.storage.delete(stored_name(field))
        except Exception:
            # Any backend's error (OSError, botocore's…): the row is gone already,
            # so a leftover file is logged, never a 500.
            logger.exception(
                "could not delete file %s of video %s", field.name, video.pk
            )
    return host_kept


def _delete_at_host(video: Video, host_id: str) -> str:
    """ "" if the host deleted (or no longer had) it; else why it keeps its copy."""
    host = sora.host_name()
    cannot = (
        f"{host} cannot delete videos, so it keeps its own copy until that expires."
    )
    if not video.host_profile.delete:
        return cannot
    try:
        sora.delete_video(host_id)
    except sora.GoneError:
        return ""
    except sora.UnsupportedError as error:
        if error.status_code in sora.NO_SUCH_ROUTE_STATUSES:
            return cannot
        logger.info("video %s: %s kept its copy: %s", video.pk, host, error.message)
        return (
            f"{host} did not delete its copy (it deletes only videos still being "
            "made), so it keeps it until that expires."
        )
    except sora.TransientError as error:
        raise UpstreamUnavailable(
            f"{host} could not be reached to delete this video, so nothing was "
            "deleted. Please try again in a minute."
        ) from error
    except sora.RefusedError as error:
        raise NotAllowed(f"{host} refused to delete this video: {error.message}")
    return ""


# --- a submit whose answer was lost, at a host that cannot be asked -------------------


def hold_unconfirmed(video: Video, *, reason: str) -> Video:
    """Stop: we cannot tell whether the host accepted (and billed) this video.

    Submitting again might pay twice; giving up might lose a paid video. The video
    waits, out of the poller's way, for an admin to choose (`resubmit_unconfirmed`
    or `give_up_unconfirmed`); its owner reads why.
    """
    if video.unconfirmed_since is not None:
        return video
    changes = {
        "unconfirmed_since": timezone.now(),
        "unconfirmed_reason": reason[:2000],
        "next_poll_at": None,
    }
    Video.objects.filter(pk=video.pk).update(**changes)
    logger.warning(
        "video %s: submit unconfirmed, held for an admin: %s", video.pk, reason
    )
    return _apply(video, changes)


def resubmit_unconfirmed(video: Video) -> Video:
    """The admin's "submit again (the host may charge twice)"."""
    changes = {
        "unconfirmed_since": None,
        "unconfirmed_reason": "",
        "submit_attempted_at": None,
        "next_poll_at": timezone.now(),
        "poll_interval": 0,
        "transient_failures": 0,
        "stuck_since": None,
    }
    Video.objects.filter(pk=video.pk, status=Status.PENDING).update(**changes)
    return _apply(video, changes)


def give_up_unconfirmed(video: Video) -> Video:
    """The admin's "give up and return the seconds": the video ends failed."""
    video = mark_failed(
        video,
        code="unconfirmed",
        message=f"We could not confirm that {sora.host_name()} accepted this video, "
        "so it was cancelled.",
    )
    Video.objects.filter(pk=video.pk).update(unconfirmed_since=None)
    video.unconfirmed_since = None
    return video
