"""Reads that need more than `Video.objects.filter`: quota usage and the list page."""

import uuid
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
    """Videos and seconds charged today and in total (deleted videos stay charged),
    the videos the user has now (hidden ones among them), and the quota: two queries."""
    today = Q(created_at__gte=start_of_today())
    totals = UsageCharge.objects.filter(user=user).aggregate(
        videos_total=Count("id"),
        seconds_total=Sum("seconds"),
        videos_today=Count("id", filter=today),
        seconds_today=Sum("seconds", filter=today),
        videos_deleted=Count("id", filter=Q(video__isnull=True)),
    )
    summary = {key: value or 0 for key, value in totals.items()}
    kept = Video.objects.filter(user=user).aggregate(
        videos_kept=Count("id"), videos_hidden=Count("id", filter=Q(hidden=True))
    )
    summary |= kept
    summary["quota"] = user.effective_daily_quota
    summary["seconds_left"] = max(summary["quota"] - summary["seconds_today"], 0)
    return summary


def own_video_or_none(user: User, video_id: str) -> Video | None:
    """One of the user's videos by an id taken from a URL; None for nonsense or others'."""
    try:
        pk = uuid.UUID(video_id)
    except ValueError:
        return None
    return Video.objects.filter(pk=pk, user=user).first()


def videos_for_list(
    user: User, *, status: str = "", query: str = ""
) -> QuerySet[Video]:
    """The user's videos, newest first, optionally by status and prompt text.

    The list page reads these rows through `videos.list_rows.page_rows`, the same
    query written out in SQL (tests/test_list_rows.py keeps the two in agreement).

    Hidden ones are listed too, marked as hidden by a moderator, so the list, the
    profile's counts and the user's memory agree. Whole rows: with `.only()` Django
    builds deferred instances, which cost more CPU than the few columns they skip.
    """
    videos = Video.objects.filter(user=user)
    if status in Video.Status.values:
        videos = videos.filter(status=status)
    if query:
        videos = videos.filter(prompt__icontains=query)
    return videos.order_by("-created_at", "-pk")
