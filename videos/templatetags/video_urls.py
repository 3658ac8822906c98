"""`{{ video|video_url:"videos:content" }}`: a video's URLs without a reverse() each.

The list page links every card to its page and its poster: 24 `reverse()` calls per
page, each a regex build and a match. A video's URL is the same text around its id,
so each route is reversed once per script prefix and URL conf, with a placeholder id,
and the id is put in its place.
"""

import functools
import uuid

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

from videos.models import Video

register = template.Library()

_PLACEHOLDER = str(uuid.UUID(int=0))


@functools.lru_cache(maxsize=64)
def _around_id(name: str, script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    """The route's URL before and after the video's id (the key holds what reverse()
    reads besides its arguments, so a test's other prefix or URL conf gets its own)."""
    url = reverse(name, urlconf=urlconf, args=[_PLACEHOLDER])
    head, _, tail = url.partition(_PLACEHOLDER)
    return head, tail


def video_url_for(name: str, pk: uuid.UUID) -> str:
    """`reverse(name, args=[pk])` for a route taking only a video's id, from a cache."""
    head, tail = _around_id(name, get_script_prefix(), get_urlconf())
    return f"{head}{pk}{tail}"


@register.filter
def video_url(video: Video, name: str) -> str:
    return video_url_for(name, video.pk)
