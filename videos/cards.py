"""The list page's video cards: rendered once per version of a video, then cached.

A card is some fifty template nodes, and Django's engine took about 0.6 ms to render
one: with twelve per page, card rendering was the biggest part of the list page's CPU
time (bench/README.md, "Pages"). A card that is not running depends only on its row,
its host's profile and the template, so its HTML is cached under a key made of exactly
those, and one `get_many` reads the whole page's cards. Nothing is ever invalidated: a
changed row, profile or template gives a new key, and old entries simply expire.

The row's part of the key is its version, `updated_at`, which every save and every
`VideoQuerySet.update()` stamps (videos/models.py). So the page needs only three
columns of each row to find its cards (`CardVersion`), and whole rows only for the
cards the cache does not have: a page of finished videos seen before costs one small
query and one cache read.

Running cards are rendered every time: their progress and time estimate change from
one second to the next (and the page's script updates them in place anyway).
See docs/ARCHITECTURE.md ("The list page").
"""

import functools
import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache as once
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.backends.django import Template as DjangoTemplate
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe

from videos import sora
from videos.models import Video
from videos.sora.profiles import profile_for

CARD_TEMPLATE = "videos/list.html#video_card"
CARD_SECONDS = 24 * 60 * 60
"""How long a card stays cached: a day of a video nobody looks at costs one render."""


@dataclass(frozen=True)
class CardVersion:
    """Which version of which video a card shows: all its cache key needs, and
    whether it is running (never cached). The list page reads these columns alone
    (videos/list_rows.py)."""

    pk: uuid.UUID
    updated_at: datetime
    model: str
    """The card shows what the model's host can do (its profile), so it is named."""
    status: str
    hidden: bool

    @classmethod
    def of(cls, video: Video) -> "CardVersion":
        return cls(video.pk, video.updated_at, video.model, video.status, video.hidden)

    @property
    def live(self) -> bool:
        return Video.live(self.status, self.hidden)

    @cached_property
    def key(self) -> str:
        """Names everything a finished card shows: the template, the host, the row.

        The first three are the same for every card of a model, so they are hashed
        once per model (`_card_context`); the row's part is its version.
        """
        context = _card_context(self.model)
        return f"video-card:{self.pk}:{context}:{self.updated_at.isoformat()}"


def cards_for(
    versions: Sequence[CardVersion],
    load: Callable[[list[uuid.UUID]], Iterable[Video]],
) -> list[SafeString]:
    """The cards of these versions, in order: cached ones from one cache read, the
    rest rendered from the rows `load` reads for their ids (one query) and cached
    unless they are running.

    A running card is never stored, so it is always among those loaded. A video
    deleted between the page's query and `load` has no card.
    """
    keys = [version.key for version in versions]
    wanted = [version.key for version in versions if not version.live]
    cached = cache.get_many(wanted) if wanted else {}
    missing = [version.pk for version, key in zip(versions, keys) if key not in cached]
    loaded = {video.pk: video for video in load(missing)} if missing else {}
    cards, fresh = [], {}
    for version, key in zip(versions, keys):
        html = cached.get(key)
        if html is None:
            video = loaded.get(version.pk)
            if video is None:
                continue
            html = render_card(video)
            if not video.is_live:
                # Under the version the page read: a row that changed since is read
                # again under its new version, so this entry is never shown stale.
                fresh[key] = str(html)
        cards.append(mark_safe(html))  # our own template's output, escaped there
    if fresh:
        cache.set_many(fresh, timeout=CARD_SECONDS)
    return cards


def render_cards(videos: Iterable[Video]) -> list[SafeString]:
    """The cards of these rows (read from the database as they are now), in order."""
    by_pk = {video.pk: video for video in videos}
    versions = [CardVersion.of(video) for video in by_pk.values()]
    return cards_for(versions, load=lambda pks: (by_pk[pk] for pk in pks))


def render_card(video: Video) -> SafeString:
    """One card from the list page's `video_card` partial, uncached."""
    context = {"video": video, "host_name": sora.host_name()}
    return mark_safe(render_to_string(CARD_TEMPLATE, context))


@functools.cache
def _card_context(model: str) -> str:
    """The template, the host and the model's profile, hashed: what a card of this
    model shows besides its row. They come from the deployed code and settings, so
    they are computed once per model (again only after a test changes a setting)."""
    facts = repr((_template_version(), sora.host_name(), repr(profile_for(model))))
    return hashlib.blake2b(facts.encode(), digest_size=8).hexdigest()


@receiver(setting_changed)
def _forget_card_contexts(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("SORA_"):
        _card_context.cache_clear()


@once
def _template_version() -> str:
    """The list template's source, hashed: a deploy that changes it changes every key."""
    loaded = get_template("videos/list.html")
    # Django's template engine (settings.TEMPLATES): its wrapper holds the source.
    if not isinstance(loaded, DjangoTemplate):
        raise TypeError(f"videos/list.html is not a Django template: {loaded!r}")
    source = loaded.template.source
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
