"""`{{ video|time_estimate }}`: elapsed time and what is left, for the pages."""

from django import template
from django.utils import timezone

from videos import estimates
from videos.models import Video

register = template.Library()


@register.filter
def time_estimate(video: Video) -> estimates.Progress:
    return estimates.describe(video, timezone.now())


@register.filter
def clock(seconds: float) -> str:
    """Seconds as m:ss."""
    return estimates.elapsed_text(seconds)
