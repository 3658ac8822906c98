"""URLs for the busiest pages without a `reverse()` each time.

`reverse()` builds and matches a regex: about 50 µs, and the list page once made 24 of
them for its cards and 7 more for the site's navigation (bench/README.md, "Pages").

- `{{ video|video_url:"videos:content" }}`: a video's URL is the same text around its
  id, so each route is reversed once, with a placeholder id, and the id put in place.
- `{% fixed_url "videos:list" %}`: a route without arguments is the same text every
  time, so it is reversed once.
- `{% fixed_static "css/site.css" %}`: `{% static %}` (about 15 µs: the storage's
  hashed name, then a URL join), once per file; `base.html` has five.

URLs are cached per script prefix and URL conf (what `reverse()` reads besides its
arguments), static files' per `STATIC_URL` and storage backend, so a test's other
prefix, URL conf or storage gets its own.
"""

import functools
import uuid

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

from videos.models import Video

register = template.Library()

_PLACEHOLDER = str(uuid.UUID(int=0))


@functools.lru_cache(maxsize=64)
def _around_id(name: str, script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    """The route's URL before and after the video's id."""
    url = reverse(name, urlconf=urlconf, args=[_PLACEHOLDER])
    head, _, tail = url.partition(_PLACEHOLDER)
    return head, tail


@functools.lru_cache(maxsize=64)
def _fixed(name: str, script_prefix: str, urlconf: str | None) -> str:
    return reverse(name, urlconf=urlconf)


def video_url_for(name: str, pk: uuid.UUID) -> str:
    """`reverse(name, args=[pk])` for a route taking only a video's id, from a cache."""
    head, tail = _around_id(name, get_script_prefix(), get_urlconf())
    return f"{head}{pk}{tail}"


@register.filter
def video_url(video: Video, name: str) -> str:
    return video_url_for(name, video.pk)


@register.simple_tag
def fixed_url(name: str) -> str:
    """`{% url name %}` for a route without arguments, from a cache."""
    return _fixed(name, get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=64)
def _static(path: str, static_url: str, backend: str) -> str:
    return static(path)


@register.simple_tag
def fixed_static(path: str) -> str:
    """`{% static path %}` from a cache: a deployed file's URL (its hashed name, in
    production) does not change while the process runs."""
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    return _static(path, settings.STATIC_URL, backend)
