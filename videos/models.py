"""Videos: what a user asked for, where it stands upstream, and our archived copy."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from videos.sora.profiles import ModelProfile, profile_for


def reference_upload_path(video: "Video", filename: str) -> str:
    """Random names: an uploaded file's own name is neither trusted nor revealed."""
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"references/{uuid.uuid4().hex}{suffix}"


def archive_upload_path(video: "Video", filename: str) -> str:
    return f"archive/{video.pk}/{filename}"


class VideoQuerySet(models.QuerySet["Video"]):
    """Sets of videos by where they are in their lifecycle, named once."""

    def update(self, **changes: object) -> int:
        """Every change stamps `updated_at`, as `save()` does with `auto_now`.

        Services, the poller and admin actions change rows with `.update()`, which
        Django leaves unstamped; the list page's cards are cached under this stamp
        (videos/cards.py), so a change that skipped it would show a stale card. A
        caller that sets `updated_at` itself keeps its value.
        """
        changes.setdefault("updated_at", timezone.now())
        return super().update(**changes)

    def unconfirmed(self) -> "VideoQuerySet":
        """Lost submits held for an admin to submit again or give up."""
        return self.filter(status=Video.Status.PENDING, unconfirmed_since__isnull=False)

    def awaiting_archive(self) -> "VideoQuerySet":
        """Completed at the host, with no copy of ours yet."""
        return self.filter(status=Video.Status.COMPLETED, archived_at__isnull=True)


class Video(models.Model):
    objects = VideoQuerySet.as_manager()

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be submitted"
        QUEUED = "queued", "Queued"
        IN_PROGRESS = "in_progress", "Rendering"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    # --- The lifecycle, in one place (docs/ARCHITECTURE.md draws it) -----------------
    # Code, templates and scripts ask the model (`is_running`, `is_live`, `data-live`,
    # `due_statuses()`), never compare status strings. A new status goes into Status,
    # one of the two sets below and TRANSITIONS, plus the migration for its choice.

    RUNNING_STATUSES = frozenset({Status.PENDING, Status.QUEUED, Status.IN_PROGRESS})
    """Being made: the poller has work to do with the host, and pages poll for news."""
    FINAL_STATUSES = frozenset({Status.COMPLETED, Status.FAILED, Status.EXPIRED})
    """The host has given its verdict (a completed video may still be archived)."""
    TRANSITIONS: dict[str, frozenset[str]] = {
        # Submitted: accepted (in whatever state the host reports), or refused.
        Status.PENDING: frozenset(
            {Status.QUEUED, Status.IN_PROGRESS, Status.COMPLETED, Status.FAILED}
        ),
        Status.QUEUED: frozenset({Status.IN_PROGRESS, Status.COMPLETED, Status.FAILED}),
        # Hosts that retry a job internally report it queued again.
        Status.IN_PROGRESS: frozenset({Status.QUEUED, Status.COMPLETED, Status.FAILED}),
        # The host's copy is gone before we archived ours.
        Status.COMPLETED: frozenset({Status.EXPIRED}),
        Status.FAILED: frozenset(),
        Status.EXPIRED: frozenset(),
    }
    """Where each status may go next; staying put is always allowed."""

    @classmethod
    def can_move(cls, old: str, new: str) -> bool:
        return new == old or new in cls.TRANSITIONS[old]

    @classmethod
    def due_statuses(cls) -> frozenset[str]:
        """What the poller looks at: running videos, and completed ones while it keeps
        its own copies (VIDEO_ARCHIVE); `next_poll_at` says which are due."""
        if settings.VIDEO_ARCHIVE:
            return cls.RUNNING_STATUSES | {cls.Status.COMPLETED}
        return cls.RUNNING_STATUSES

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos"
    )
    prompt = models.TextField(max_length=4000)
    model = models.CharField(max_length=64)
    size = models.CharField(max_length=16)
    seconds = models.PositiveSmallIntegerField()
    input_reference = models.FileField(
        upload_to=reference_upload_path, blank=True, max_length=200
    )
    remixed_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="remixes",
    )
    form_token = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text="Makes a resubmitted form a no-op.",
    )

    # Where it stands upstream.
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0)
    # The host's id, whole: gateways' ids run to hundreds of characters (LiteLLM
    # base64-encodes provider, model and upstream id), so no length is assumed.
    openai_video_id = models.TextField(
        "host video id", unique=True, null=True, blank=True
    )
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    # Stamped by every save() and every VideoQuerySet.update(): a row's version, which
    # the list page's card cache is keyed on. (A save(update_fields=...) must name it.)
    updated_at = models.DateTimeField(auto_now=True)
    submit_attempted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set before each submit: if its answer is lost, the poller looks "
        "for the video upstream before submitting again.",
    )
    unconfirmed_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A submit's answer was lost and the host cannot be asked whether it "
        "accepted the video: held for an admin to submit again or give up.",
    )
    unconfirmed_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    # How long it should take (videos/estimates.py), learned when it was accepted.
    expected_render_seconds = models.FloatField(null=True, blank=True)
    render_spread_seconds = models.FloatField(null=True, blank=True)
    estimate_samples = models.PositiveSmallIntegerField(
        default=0,
        help_text="Completed videos the estimate was learned from (0: a guess).",
    )

    # Poller bookkeeping.
    next_poll_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    poll_interval = models.FloatField(default=0, help_text="Current backoff, seconds.")
    poll_attempts = models.PositiveIntegerField(default=0)
    transient_failures = models.PositiveIntegerField(default=0)
    last_upstream_answer_at = models.DateTimeField(null=True, blank=True)
    last_transient_error = models.TextField(blank=True)
    stuck_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the upstream has not answered for a long time.",
    )

    # Our own copy (the host's expires).
    archived_video = models.FileField(
        upload_to=archive_upload_path, blank=True, max_length=200
    )
    archived_thumbnail = models.FileField(
        upload_to=archive_upload_path, blank=True, max_length=200
    )
    archived_spritesheet = models.FileField(
        upload_to=archive_upload_path, blank=True, max_length=200
    )
    # What the archived MP4 really holds (videos/media.py reads it): hosts' own words
    # about length and size are not trusted.
    duration = models.FloatField("duration (s)", null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    frame_rate = models.FloatField(null=True, blank=True)
    video_codec = models.CharField(max_length=32, blank=True)
    audio_codec = models.CharField(max_length=32, blank=True)
    bit_rate = models.BigIntegerField("bit rate (bit/s)", null=True, blank=True)
    probed_at = models.DateTimeField(null=True, blank=True)
    archive_problem = models.TextField(
        blank=True,
        help_text="Why the archived file is not a playable video (kept out of the "
        "player, flagged for admins); empty when it is fine.",
    )
    # Our own spritesheet's grid (None when the host's own was kept: unknown layout).
    sprite_columns = models.PositiveSmallIntegerField(null=True, blank=True)
    sprite_rows = models.PositiveSmallIntegerField(null=True, blank=True)
    sprite_count = models.PositiveSmallIntegerField(null=True, blank=True)
    sprite_interval = models.FloatField(null=True, blank=True)
    archive_size = models.BigIntegerField(null=True, blank=True)
    archive_sha256 = models.CharField("archive SHA-256", max_length=64, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    # Moderation by admins.
    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="video_user_recent"),
            models.Index(fields=["status", "next_poll_at"], name="video_poll_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "form_token"], name="video_one_per_form_token"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="video_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.short_prompt} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("videos:detail", args=[self.pk])

    def host_id(self) -> str:
        """The host's id of a video it accepted: asking the host about one it never
        accepted is a bug, not an answer to wait for."""
        if not self.openai_video_id:
            raise ValueError(f"video {self.pk} ({self.status}) has no host id")
        return self.openai_video_id

    @property
    def short_prompt(self) -> str:
        text = " ".join(self.prompt.split())
        return text if len(text) <= 60 else text[:59] + "…"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING_STATUSES

    @property
    def is_rendering(self) -> bool:
        """Accepted by the host and not finished: the time it takes is worth showing."""
        return self.status in (self.Status.QUEUED, self.Status.IN_PROGRESS)

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.EXPIRED

    @property
    def host_profile(self) -> "ModelProfile":
        """What this video's host can do (remix, delete, thumbnails, …)."""
        return profile_for(self.model)

    @property
    def can_remix(self) -> bool:
        return (
            self.is_completed
            and not self.hidden
            and bool(self.openai_video_id)
            and self.host_profile.remix
        )

    @property
    def has_thumbnail(self) -> bool:
        """A real image to show as the poster: ours, or the host's while it has one."""
        if not self.is_completed or self.hidden:
            return False
        if self.archived_at:
            return bool(self.archived_thumbnail)
        return self.host_profile.variants

    @property
    def is_playable(self) -> bool:
        """Completed, not hidden by a moderator, and not an archived file that turned
        out not to be a video."""
        return self.is_completed and not self.hidden and not self.archive_problem

    @property
    def has_scrub_preview(self) -> bool:
        """Our own spritesheet, whose grid we know, for the list page's scrubbing."""
        return bool(self.archived_spritesheet and self.sprite_count and not self.hidden)

    @property
    def orientation(self) -> str:
        """portrait, landscape or square: by the file's real size, else as asked for."""
        width, height = self.width, self.height
        if not (width and height):
            asked_width, _, asked_height = self.size.partition("x")
            if not (asked_width.isdigit() and asked_height.isdigit()):
                return "landscape"
            width, height = int(asked_width), int(asked_height)
        if width == height:
            return "square"
        return "portrait" if height > width else "landscape"

    @property
    def card_shape(self) -> str:
        """The list card's picture shape: the video's own for a poster, else a short
        landscape placeholder (a failed portrait video needs no 600 px grey box)."""
        return self.orientation if self.is_playable else "landscape"

    @property
    def size_label(self) -> str:
        """The asked-for size as the form names it: "Portrait 720×1280"."""
        width, _, height = self.size.partition("x")
        if not (width.isdigit() and height.isdigit()):
            return self.size
        if width == height:
            shape = "Square"
        else:
            shape = "Portrait" if int(height) > int(width) else "Landscape"
        return f"{shape} {width}×{height}"

    @property
    def length_differs(self) -> bool:
        """The file's real length is not what was asked for (and paid)."""
        return self.duration is not None and abs(self.duration - self.seconds) >= 0.5

    @property
    def codecs(self) -> str:
        """ "H264 video, AAC audio", for people."""
        parts = [f"{self.video_codec.upper()} video"] if self.video_codec else []
        if self.audio_codec:
            parts.append(f"{self.audio_codec.upper()} audio")
        elif self.video_codec:
            parts.append("no audio")
        return ", ".join(parts)

    @property
    def bit_rate_mbps(self) -> float | None:
        return None if self.bit_rate is None else self.bit_rate / 1_000_000

    @property
    def display_duration(self) -> str:
        """The real length as m:ss (the asked-for length until the file is read)."""
        seconds = round(self.duration) if self.duration is not None else self.seconds
        return f"{seconds // 60}:{seconds % 60:02d}"

    @property
    def is_archived(self) -> bool:
        return bool(self.archived_at and self.archived_video)

    @property
    def waiting_for_host(self) -> bool:
        """Saved but not accepted yet: the host was unreachable; the poller retries."""
        return (
            self.status == self.Status.PENDING
            and self.submit_attempted_at is not None
            and self.unconfirmed_since is None
        )

    @property
    def is_unconfirmed(self) -> bool:
        """A lost submit the host cannot be asked about: an admin decides."""
        return self.status == self.Status.PENDING and self.unconfirmed_since is not None

    @property
    def phase(self) -> str:
        """The status, told apart where the page shows something else: hidden by a
        moderator (whatever its status), or a pending video's two kinds of waiting."""
        if self.hidden:
            return "hidden"
        if self.is_unconfirmed:
            return "unconfirmed"
        if self.waiting_for_host:
            return "waiting"
        return self.status

    @property
    def error_code_for_people(self) -> str:
        """The host's error code when it says something ("moderation_blocked"); not
        a bare HTTP status or a generic "failed"."""
        code = self.error_code
        if code.isdigit() or code in ("failed", "refused", "unconfirmed"):
            return ""
        return code

    @property
    def badge_style(self) -> str:
        """The badge's colour: its status, or "hidden" once a moderator hid it."""
        return "hidden" if self.hidden else self.status

    @property
    def status_label(self) -> str:
        """The status as users read it (a held submit is not "waiting to be submitted")."""
        if self.hidden:
            return "Hidden by a moderator"
        if self.is_unconfirmed:
            return "Awaiting a check"
        return self.get_status_display()

    @property
    def is_live(self) -> bool:
        """Worth polling for its owner's pages: being made and not hidden (final)."""
        return self.live(self.status, self.hidden)

    @classmethod
    def live(cls, status: str, hidden: bool) -> bool:
        """`is_live` from the two columns it depends on, for rows read as values."""
        return status in cls.RUNNING_STATUSES and not hidden

    @property
    def shows_progress(self) -> bool:
        """Still being made, as far as its owner can follow: not held, not hidden."""
        return self.is_live and not self.is_unconfirmed

    @property
    def charged_seconds(self) -> int:
        """Seconds this video holds in its owner's quota ledger (0 once refunded)."""
        try:
            return self.charge.seconds
        except UsageCharge.DoesNotExist:
            return 0

    @property
    def display_progress(self) -> int:
        return 100 if self.is_completed else self.progress

    @property
    def download_filename(self) -> str:
        slug = slugify(self.prompt)[:50].strip("-") or "video"
        return f"sora-{slug}-{str(self.pk)[:8]}.mp4"


class UsageCharge(models.Model):
    """Seconds of video charged against a user's daily quota.

    A ledger rather than a sum over videos, so that deleting a video does not hand its
    seconds back (they were generated and paid for); a video that fails is refunded by
    deleting its charge.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="charges"
    )
    video = models.OneToOneField(
        Video, on_delete=models.SET_NULL, null=True, blank=True, related_name="charge"
    )
    seconds = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="charge_user_day")]

    def __str__(self) -> str:
        return f"{self.seconds}s for {self.user_id} on {self.created_at:%Y-%m-%d}"
