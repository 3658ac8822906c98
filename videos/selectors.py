"""Reads that need more than `Video.objects.filter`: quota usage and the list page."""

from datetime import datetime, time

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from videos.models import UsageCharge, Video


def start_of_today() -> datetime:
    """Midnight in the site's time zone: when the daily quota starts over."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


def seconds_charged_today(user: User) -> int:
    charges = UsageCharge.objects.filter(user=user, created_at__gte=start_of_today())
    return charges.aggregate(total=Sum("seconds"))["total"] or 0


def seconds_left_today(user: User) -> int:
    return max(user.effective_daily_quota - seconds_charged_today(user), 0)


def usage_summary(user: User) -> dict[str, int]:
    """Videos and seconds generated today and in total, in one query, and the quota."""
    today = Q(created_at__gte=start_of_today())
    totals = UsageCharge.objects.filter(user=user).aggregate(
        videos_total=Count("id"),
        seconds_total=Sum("seconds"),
        videos_today=Count("id", filter=today),
        seconds_today=Sum("seconds", filter=today),
    )
    summary = {key: value or 0 for key, value in totals.items()}
    summary["quota"] = user.effective_daily_quota
    summary["seconds_left"] = max(summary["quota"] - summary["seconds_today"], 0)
    return summary


def videos_for_list(
    user: User, *, status: str = "", query: str = ""
) -> QuerySet[Video]:
    """The user's visible videos, newest first, optionally by status and prompt text."""
    videos = Video.objects.filter(user=user, hidden=False).only(*LIST_FIELDS)
    if status in Video.Status.values:
        videos = videos.filter(status=status)
    if query:
        videos = videos.filter(prompt__icontains=query)
    return videos.order_by("-created_at", "-pk")


LIST_FIELDS = (
    "id",
    "user_id",
    "prompt",
    "model",
    "size",
    "seconds",
    "status",
    "progress",
    "created_at",
    "submit_attempted_at",
    "error_message",
    "archived_at",
    "archived_thumbnail",
    "archived_video",
    "archived_spritesheet",
    "archive_problem",
    "unconfirmed_since",
    "duration",
    "width",
    "height",
    "sprite_columns",
    "sprite_rows",
    "sprite_count",
    "submitted_at",
    "expected_render_seconds",
    "render_spread_seconds",
    "estimate_samples",
)
