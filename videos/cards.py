"""The list page's video cards: rendered once per version of a video, then cached.

A card is some fifty template nodes, and Django's engine took about 0.6 ms to render
one: with twelve per page, card rendering was the biggest part of the list page's CPU
time (bench/README.md, "Pages"). A card that is not running depends only on its row,
its host's profile and the template, so its HTML is cached under a key made of exactly
those, and one `get_many` reads the whole page's cards. Nothing is ever invalidated: a
changed row, profile or template gives a new key, and old entries simply expire.

Running cards are rendered every time: their progress and time estimate change from
one second to the next (and the page's script updates them in place anyway).
See docs/ARCHITECTURE.md ("The list page").
"""

import hashlib
from collections.abc import Iterable
from enum import Enum
from functools import cache as once

from django.core.cache import cache
from django.template.backends.django import Template as DjangoTemplate
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe

from videos import sora
from videos.models import Video

CARD_TEMPLATE = "videos/list.html#video_card"
CARD_SECONDS = 24 * 60 * 60
"""How long a card stays cached: a day of a video nobody looks at costs one render."""


def render_cards(videos: Iterable[Video]) -> list[SafeString]:
    """The cards of these videos, in order: cached ones from one cache read, the rest
    rendered (and cached unless they are running)."""
    # Read twice below; a page's object_list makes one query either way.
    videos = list(videos)
    keys = {video.pk: card_key(video) for video in videos if not video.is_live}
    cached = cache.get_many(list(keys.values())) if keys else {}
    cards, fresh = [], {}
    for video in videos:
        key = keys.get(video.pk)
        html = cached.get(key) if key else None
        if html is None:
            html = render_card(video)
            if key:
                fresh[key] = str(html)
        cards.append(mark_safe(html))  # our own template's output, escaped there
    if fresh:
        cache.set_many(fresh, timeout=CARD_SECONDS)
    return cards


def render_card(video: Video) -> SafeString:
    """One card from the list page's `video_card` partial, uncached."""
    context = {"video": video, "host_name": sora.host_name()}
    return mark_safe(render_to_string(CARD_TEMPLATE, context))


def card_key(video: Video) -> str:
    """Names everything a finished card shows: the template, the host, the row."""
    facts = repr(
        (_template_version(), sora.host_name(), video.host_profile, _row(video))
    )
    digest = hashlib.blake2b(facts.encode(), digest_size=16).hexdigest()
    return f"video-card:{video.pk}:{digest}"


def _row(video: Video) -> tuple:
    """Every column of the video as the database has it, whether the instance was just
    saved (a status enum, a FieldFile, an int in a float column) or read back."""
    deferred = video.get_deferred_fields()
    return tuple(
        _plain(field.get_prep_value(video.__dict__[field.attname]))
        for field in Video._meta.concrete_fields
        if field.attname not in deferred
    )


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


@once
def _template_version() -> str:
    """The list template's source, hashed: a deploy that changes it changes every key."""
    loaded = get_template("videos/list.html")
    # Django's template engine (settings.TEMPLATES): its wrapper holds the source.
    if not isinstance(loaded, DjangoTemplate):
        raise TypeError(f"videos/list.html is not a Django template: {loaded!r}")
    source = loaded.template.source
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
