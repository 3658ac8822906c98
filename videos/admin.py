"""Videos in the admin: moderation (hide), unsticking (retry), deleting at the host too.

What the upstream said is read-only here; admins decide only whether a video is shown.
Videos are created by users through the product, so there is no add page. Deleting
always goes through `services.delete_video`, so no admin path can remove a row while
its paid-for copy lives on at a host that could delete it. A submit whose answer was
lost at a host that cannot be asked about it waits here for an admin's choice.
"""

import copy
from collections import Counter
from datetime import UTC, datetime, time
from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin import actions as builtin_actions
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html

from accounts.admin import HostileQueryGuard, log_changes
from accounts.models import AuthenticatedHttpRequest, User
from videos import archive, services, sora
from videos.errors import UpstreamUnavailable, VideoError
from videos.models import Video, VideoQuerySet
from videos.sora import profiles


class HideForm(forms.Form):
    reason = forms.CharField(
        max_length=Video._meta.get_field("hidden_reason").max_length,
        help_text="Shown to each video's owner on its page. Be specific and civil.",
    )


def content_url(video: Video, variant: str = "video") -> str:
    """The product's content view: staff may fetch any video there, hidden ones too.

    Files are never linked by their storage URL: media is not served publicly, and
    the content view is where login, ownership and staff rights are checked.
    """
    url = reverse("videos:content", args=[video.pk])
    return url if variant == "video" else f"{url}?variant={variant}"


def file_link(video: Video, field: str, variant: str) -> str:
    """A stored file as a link through the content view, or "—" when there is none."""
    stored = getattr(video, field)
    if not stored:
        return "—"
    return format_html(
        '<a href="{}">{}</a>', content_url(video, variant), stored.name.rsplit("/")[-1]
    )


class ModelFilter(admin.SimpleListFilter):
    """The models of the host profile table, not a scan of the data.

    A model since dropped from the table still filters by URL and shows as selected.
    """

    title = "model"
    parameter_name = "model"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        names = profiles.models()
        value = self.value()
        if value and value not in names:
            names.append(value)
        return [(name, name) for name in names]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Video]):
        if self.value():
            return queryset.filter(model=self.value())
        return queryset


class StuckFilter(admin.SimpleListFilter):
    """Videos the poller flagged after a long silence from the upstream."""

    title = "stuck"
    parameter_name = "stuck"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Video]):
        if self.value() == "yes":
            return queryset.filter(stuck_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(stuck_since__isnull=True)
        return queryset


class UnconfirmedFilter(admin.SimpleListFilter):
    """Lost submits held for a decision: submit again, or give up and refund."""

    title = "awaiting a decision"
    parameter_name = "unconfirmed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [("yes", "Unconfirmed submits")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Video]):
        if self.value() == "yes":
            # The changelist's queryset comes from Video.objects: a VideoQuerySet.
            return cast(VideoQuerySet, queryset).unconfirmed()
        return queryset


class ArchiveProblemFilter(admin.SimpleListFilter):
    """Archived files that turned out not to be playable videos."""

    title = "archived file"
    parameter_name = "archive_problem"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [("yes", "Does not play")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Video]):
        if self.value() == "yes":
            return queryset.exclude(archive_problem="")
        return queryset


class UserFilter(admin.SimpleListFilter):
    """One user's videos: the target of the users admin's "Videos" link.

    Offers only the selected user (listing every user would load the whole table),
    so the sidebar names whose videos these are and how to see everyone's again.
    """

    title = "user"
    parameter_name = "user"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        user_id = self.user_id()
        if user_id is None:
            return []
        return list(User.objects.filter(pk=user_id).values_list("pk", "email"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Video]):
        if self.value() is None:
            return queryset
        user_id = self.user_id()
        if user_id is None:
            return queryset.none()
        return queryset.filter(user_id=user_id)

    def has_output(self) -> bool:
        """Applied whenever asked for: `?user=<nobody>` shows no videos, not all."""
        return self.value() is not None or super().has_output()

    def user_id(self) -> int | None:
        """The id asked for, if it can be one: ASCII digits within a bigint.

        `str.isdigit` alone lets "²" and "١٢" through (int() then fails on the
        first), and PostgreSQL refuses numbers past 64 bits.
        """
        value = self.value() or ""
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            return None
        user_id = int(value)
        return user_id if user_id < 2**63 else None


class CreatedFilter(admin.DateFieldListFilter):
    """Django's date filter, reading a date typed into the address in the site's zone.

    Its own links carry a UTC offset; a bare `?created_at__gte=2024-05-01` does not,
    and Django compared the naive datetime as is (a RuntimeWarning, an error under
    test) and, for year 1 in a zone east of UTC, overflowed converting it to UTC.
    """

    def queryset(self, request: HttpRequest, queryset: QuerySet[Video]):
        try:
            for name in (self.lookup_kwarg_since, self.lookup_kwarg_until):
                values = self.used_parameters.get(name)
                if isinstance(values, list):  # Django keeps each parameter's values
                    self.used_parameters[name] = [
                        in_site_zone(value) for value in values
                    ]
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error
        return super().queryset(request, queryset)


def in_site_zone(value: str) -> str:
    """A naive date or datetime from the address as an aware one in UTC; other
    text as it came (Django's own validation answers it: "?e=1")."""
    try:
        moment = parse_datetime(value)
        day = None if moment else parse_date(value)
    except ValueError:
        return value
    if day is not None:
        moment = datetime.combine(day, time.min)
    if moment is None or timezone.is_aware(moment):
        return value
    return timezone.make_aware(moment).astimezone(UTC).isoformat()


UPSTREAM_FIELDS = (
    "openai_video_id",
    "status",
    "progress",
    "error_code",
    "error_message",
)
TIMESTAMP_FIELDS = (
    "created_at",
    "updated_at",
    "submit_attempted_at",
    "submitted_at",
    "completed_at",
    "expires_at",
)
POLLER_FIELDS = (
    "unconfirmed_since",
    "unconfirmed_reason",
    "next_poll_at",
    "poll_interval",
    "poll_attempts",
    "transient_failures",
    "last_upstream_answer_at",
    "last_transient_error",
    "stuck_since",
)
MEDIA_FIELDS = (
    "duration",
    "width",
    "height",
    "frame_rate",
    "video_codec",
    "audio_codec",
    "bit_rate",
    "probed_at",
    "sprite_columns",
    "sprite_rows",
    "sprite_count",
    "sprite_interval",
)
ARCHIVE_FIELDS = (
    "archive_problem",
    "archived_video_link",
    "archived_thumbnail_link",
    "archived_spritesheet_link",
    "archive_megabytes",
    "archive_sha256",
    "archived_at",
)
REQUEST_FIELDS = (
    "user",
    "prompt",
    "model",
    "size",
    "seconds",
    "reference_link",
    "remixed_from",
)


@admin.register(Video)
class VideoAdmin(HostileQueryGuard, admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "short_prompt",
        "user_email",
        "model",
        "size",
        "seconds",
        "status",
        "progress_percent",
        "hidden",
        "is_stuck",
        "is_unconfirmed",
        "is_archived",
        "plays",
        "created_at",
    ]
    # The prompt is the link: a link made only of a poster (alt="") names nothing.
    list_display_links = ["short_prompt"]
    list_select_related = ["user"]
    list_filter = [
        "status",
        ModelFilter,
        "hidden",
        StuckFilter,
        UnconfirmedFilter,
        ArchiveProblemFilter,
        UserFilter,
        # Not date_hierarchy: it scans every row for its dates on each page load.
        ("created_at", CreatedFilter),
    ]
    search_fields = ["prompt", "user__email", "openai_video_id"]
    search_help_text = "Prompt text, the owner's email, or the host's video id."
    # A filtered page would also count the whole table for its "(N total)": on a
    # large table that second count costs more than the page itself.
    show_full_result_count = False
    ordering = ["-created_at"]
    # Our own `delete_selected` replaces Django's site-wide action of that name, so a
    # bulk delete cannot skip the host; the same name lets Django's confirmation page
    # post back to it.
    actions = [
        "hide",
        "unhide",
        "retry",
        "submit_again",
        "give_up",
        "archive_now",
        "verify_archive",
        "reread_media",
        "delete_selected",
    ]

    readonly_fields = [
        "player",
        "thumbnail_preview",
        *REQUEST_FIELDS,
        *UPSTREAM_FIELDS,
        *TIMESTAMP_FIELDS,
        *POLLER_FIELDS,
        *ARCHIVE_FIELDS,
        *MEDIA_FIELDS,
    ]
    fieldsets = [
        (None, {"fields": ["player", "thumbnail_preview"]}),
        ("Request", {"fields": REQUEST_FIELDS}),
        ("Moderation", {"fields": ["hidden", "hidden_reason"]}),
        ("Upstream", {"fields": UPSTREAM_FIELDS}),
        ("Timestamps", {"fields": TIMESTAMP_FIELDS, "classes": ["collapse"]}),
        ("Poller", {"fields": POLLER_FIELDS, "classes": ["collapse"]}),
        ("Archived copy", {"fields": ARCHIVE_FIELDS}),
        ("What the file holds", {"fields": MEDIA_FIELDS}),
    ]

    class Media:
        css = {"all": ["admin/sora_admin.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def view_on_site(self, video: Video) -> str | None:
        """Its bytes, which staff may open for any video: the detail page is the
        owner's alone (it would be a 404 for anyone else)."""
        return content_url(video) if video.is_completed else None

    # --- columns and read-only fields -------------------------------------------------

    @admin.display(description="Poster", empty_value="")
    def thumbnail(self, video: Video) -> str:
        if not video.has_thumbnail:
            return ""
        return format_html(
            '<img class="sora-admin-thumb" src="{}" alt="" loading="lazy" '
            'decoding="async">',
            content_url(video, "thumbnail"),
        )

    @admin.display(description="Prompt", ordering="prompt")
    def short_prompt(self, video: Video) -> str:
        return video.short_prompt

    @admin.display(description="User", ordering="user__email")
    def user_email(self, video: Video) -> str:
        return video.user.email

    @admin.display(description="Progress", ordering="progress")
    def progress_percent(self, video: Video) -> str:
        return f"{video.display_progress}%"

    @admin.display(description="Stuck", boolean=True, ordering="stuck_since")
    def is_stuck(self, video: Video) -> bool:
        return video.stuck_since is not None

    @admin.display(
        description="Unconfirmed", boolean=True, ordering="unconfirmed_since"
    )
    def is_unconfirmed(self, video: Video) -> bool:
        return video.is_unconfirmed

    @admin.display(description="Plays", boolean=True, ordering="archive_problem")
    def plays(self, video: Video) -> bool | None:
        """Unknown (None) until the archived file has been read."""
        if video.probed_at is None:
            return None
        return not video.archive_problem

    @admin.display(description="Archived", boolean=True, ordering="archived_at")
    def is_archived(self, video: Video) -> bool:
        return video.archived_at is not None

    @admin.display(description="Archived video")
    def archived_video_link(self, video: Video) -> str:
        return file_link(video, "archived_video", "video")

    @admin.display(description="Archived thumbnail")
    def archived_thumbnail_link(self, video: Video) -> str:
        return file_link(video, "archived_thumbnail", "thumbnail")

    @admin.display(description="Archived spritesheet")
    def archived_spritesheet_link(self, video: Video) -> str:
        return file_link(video, "archived_spritesheet", "spritesheet")

    @admin.display(description="Reference image")
    def reference_link(self, video: Video) -> str:
        return file_link(video, "input_reference", "reference")

    @admin.display(description="Size", ordering="archive_size")
    def archive_megabytes(self, video: Video) -> str:
        if video.archive_size is None:
            return "—"
        return f"{video.archive_size / 1024 / 1024:.1f} MB"

    @admin.display(description="Video")
    def player(self, video: Video) -> str:
        if not video.is_completed:
            status = video.get_status_display().lower()
            return f"Nothing to play: the video is {status}."
        return format_html(
            '<video class="sora-admin-player" controls preload="metadata" src="{}">'
            '<a href="{}">Download the MP4</a></video>',
            content_url(video),
            content_url(video),
        )

    @admin.display(description="Thumbnail")
    def thumbnail_preview(self, video: Video) -> str:
        if not video.has_thumbnail:
            return "—"
        return format_html(
            '<img class="sora-admin-preview" src="{}" alt="Thumbnail" loading="lazy">',
            content_url(video, "thumbnail"),
        )

    # --- actions ----------------------------------------------------------------------

    @admin.action(description="Hide selected videos from their owners")
    def hide(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[Video]
    ) -> HttpResponse | None:
        """Asks for the reason first: the owner reads it on the video's page."""
        form = HideForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/videos/video/hide_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Hide videos from their owners",
                    "opts": self.model._meta,
                    "videos": queryset,
                    "form": form,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        reason = form.cleaned_data["reason"]
        videos = list(queryset.filter(hidden=False))
        count = Video.objects.filter(pk__in=[v.pk for v in videos]).update(
            hidden=True, hidden_reason=reason
        )
        log_changes(request, videos, f"Hidden: {reason}")
        self.message_user(
            request,
            f"Hid {count} video(s): their owners see them marked as hidden, with the "
            "reason, and can no longer play them; staff still can.",
            messages.SUCCESS,
        )
        return None

    @admin.action(description="Unhide selected videos")
    def unhide(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[Video]
    ) -> None:
        videos = list(queryset.filter(hidden=True))
        count = Video.objects.filter(pk__in=[v.pk for v in videos]).update(
            hidden=False, hidden_reason=""
        )
        log_changes(request, videos, "Unhidden.")
        self.message_user(
            request, f"Unhid {count} video(s): their owners see them again."
        )

    @admin.action(
        description="Retry selected videos (pending, queued or rendering)",
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def retry(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        """Put running videos back in the poller's due set now.

        A failed video is the host's verdict and stays failed: retrying it here would
        only poll an upstream job that is over. A new video is the way to try again.
        """
        requeued = skipped = held = 0
        fields = ("pk", "status", "unconfirmed_since")
        for video in queryset.select_related(None).only(*fields):
            if video.is_unconfirmed:
                held += 1
            elif video.is_running:
                services.requeue(video)
                requeued += 1
            else:
                skipped += 1
        message = f"Requeued {requeued} video(s) for the poller."
        if skipped:
            message += (
                f" Skipped {skipped} that are not pending, queued or rendering "
                "(completed, failed and expired videos are final)."
            )
        if held:
            message += (
                f" Skipped {held} unconfirmed submit(s): choose “Submit again” or "
                "“Give up” for those."
            )
        self.message_user(
            request, message, messages.SUCCESS if requeued else messages.WARNING
        )

    @admin.action(
        description="Submit again (the host may charge twice)",
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def submit_again(
        self, request: AuthenticatedHttpRequest, queryset: VideoQuerySet
    ) -> None:
        """For unconfirmed submits: send them again, accepting a possible double charge."""
        videos = list(self._unconfirmed(queryset))
        for video in videos:
            services.resubmit_unconfirmed(video)
        log_changes(request, videos, "Submitted again after an unconfirmed submit.")
        self._report_unconfirmed(request, queryset, len(videos), "Sent back")

    @admin.action(
        description="Give up and return the seconds (unconfirmed submits)",
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def give_up(
        self, request: AuthenticatedHttpRequest, queryset: VideoQuerySet
    ) -> None:
        """For unconfirmed submits: fail them and refund their seconds."""
        videos = list(self._unconfirmed(queryset))
        for video in videos:
            services.give_up_unconfirmed(video)
        log_changes(request, videos, "Gave up an unconfirmed submit; refunded.")
        self._report_unconfirmed(request, queryset, len(videos), "Gave up")

    @staticmethod
    def _unconfirmed(queryset: VideoQuerySet) -> VideoQuerySet:
        return queryset.unconfirmed().select_related(None)

    def _report_unconfirmed(
        self, request: HttpRequest, queryset: QuerySet[Video], done: int, verb: str
    ) -> None:
        skipped = queryset.count() - done
        message = f"{verb} {done} unconfirmed video(s)."
        if skipped:
            message += f" Skipped {skipped} that are not unconfirmed submits."
        self.message_user(
            request, message, messages.SUCCESS if done else messages.WARNING
        )

    @admin.action(
        description="Archive now (copy from the host into our storage)",
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def archive_now(self, request: HttpRequest, queryset: VideoQuerySet) -> None:
        """Copy completed, not yet archived videos right away, in this request."""
        done, failures = 0, []
        for video in queryset.awaiting_archive().select_related(None):
            outcome = services.archive_completed(video)
            if outcome.archived:
                done += 1
            else:
                failures.append(f"{video.short_prompt}: {outcome.problem}")
        self.message_user(request, f"Archived {done} video(s).", messages.SUCCESS)
        if failures:
            self.message_user(
                request, "Not archived: " + "; ".join(failures), messages.ERROR
            )

    @admin.action(
        description="Re-read archived files (facts, poster, spritesheet)",
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def reread_media(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        read, problems = 0, []
        for video in queryset.filter(archived_at__isnull=False).select_related(None):
            made = archive.refresh_media(video)
            read += 1
            if made.changes.get("archive_problem"):
                problems.append(
                    f"{video.short_prompt}: {made.changes['archive_problem']}"
                )
        self.message_user(request, f"Read {read} archived file(s).", messages.SUCCESS)
        if problems:
            self.message_user(request, "; ".join(problems), messages.ERROR)

    @admin.action(
        description="Re-verify archived files (size and SHA-256)",
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def verify_archive(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        intact, corrupt = 0, []
        for video in queryset.filter(archived_at__isnull=False).select_related(None):
            try:
                ok = archive.verify_archive(video)
            except OSError:
                ok = False
            if ok:
                intact += 1
            else:
                corrupt.append(str(video.pk))
        self.message_user(
            request, f"{intact} archived file(s) intact.", messages.SUCCESS
        )
        if corrupt:
            self.message_user(
                request,
                f"{len(corrupt)} archived file(s) do not match their checksum: "
                + ", ".join(corrupt),
                messages.ERROR,
            )

    @admin.action(
        description="Delete selected videos (at the host too, where it can)",
        permissions=["delete"],
    )
    def delete_selected(
        self, request: HttpRequest, queryset: QuerySet[Video]
    ) -> HttpResponse | None:
        """Delete each video through the service; keep and report those that fail.

        Django's own action asks for confirmation first; its page is reused as is.
        After one "host unreachable" the rest are left alone: each would wait out
        the same timeout, and nothing is lost by trying them again later.
        """
        if not request.POST.get("post"):
            return builtin_actions.delete_selected(self, request, queryset)
        deleted: list[Video] = []
        host_kept = 0
        kept: Counter[str] = Counter()
        videos = list(queryset)
        for index, video in enumerate(videos):
            snapshot = copy.copy(video)  # the service clears the pk of what it deletes
            try:
                host_kept += bool(services.delete_video(video=video))
            except UpstreamUnavailable as error:
                kept[error.message] += len(videos) - index
                break
            except VideoError as error:
                kept[error.message] += 1
                continue
            deleted.append(snapshot)
        # Logged after the fact, and only for what is really gone.
        # Django iterates what it logs; the stubs ask for a QuerySet.
        self.log_deletions(request, deleted)  # type: ignore[arg-type]
        if deleted:
            message = f"Deleted {len(deleted)} video(s)."
            if host_kept:
                message += (
                    f" {sora.host_name()} kept its own copy of {host_kept} of them "
                    "until that expires."
                )
            self.message_user(request, message, messages.SUCCESS)
        for message, count in kept.items():
            self.message_user(
                request, f"Kept {count} video(s): {message}", messages.ERROR
            )
        return None

    # --- single-object delete ---------------------------------------------------------

    def delete_model(self, request: HttpRequest, obj: Video) -> None:
        services.delete_video(video=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        for video in queryset:
            services.delete_video(video=video)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """The confirmed delete, outside the transaction Django would wrap it in.

        The service calls the host, and no call to the host is made while a database
        transaction is open (on SQLite that would hold the write lock meanwhile). If
        the host cannot be reached, the video stays and the admin is told why.
        """
        if request.method != "POST":
            return super().delete_view(request, object_id, extra_context)
        video = self.get_object(request, unquote(object_id))
        if not isinstance(video, Video) or not self.has_delete_permission(
            request, video
        ):
            # Django's own answers: "doesn't exist" or permission denied.
            return super().delete_view(request, object_id, extra_context)
        snapshot, display = copy.copy(video), str(video)
        try:
            self.delete_model(request, video)
        except VideoError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:videos_video_change", args=[snapshot.pk])
            )
        self.log_deletions(request, [snapshot])  # type: ignore[arg-type]  # as above
        # A UUID primary key: Django only formats it; the stubs assume an int.
        return self.response_delete(request, display, snapshot.pk)  # type: ignore[arg-type]
