"""One page of the video list: its cards and the numbers the pagination shows.

Django's Paginator asks the database twice (a COUNT, then the page's rows) and builds
whole model instances. Here one query reads the page's card versions together with
the total (`COUNT(*) OVER ()`, computed before LIMIT; videos/list_rows.py), and whole
rows are read only for the cards the cache does not have (videos/cards.py). The page
behaves as `Paginator.get_page` does: a page number that is not one shows the first
page, one past the end the last.

When no card on the page is running, everything the list template shows in its content
block follows from the page's query string, its numbers and its cards' keys, so the
block is cached whole under `content_key` (`{% cache %}` in videos/list.html): a page
seen before costs one small query and one cache read, and its cards are not even read.
"""

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import QuerySet
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from videos import list_rows
from videos.cards import CardVersion, cards_for
from videos.models import Video

LAST_PAGE_ASKED = 1_000_000
"""Page numbers above this are read as "past the end": an offset of 12 × 10^20 would
overflow the database's 64-bit OFFSET (a 500 on PostgreSQL)."""


@dataclass(frozen=True)
class ListPage:
    number: int
    per_page: int
    count: int
    """Videos on all pages together."""
    versions: list[CardVersion]
    query_string: str
    """The request's, as the pagination's links repeat it (`{% querystring %}`)."""
    load: Callable[[list], QuerySet[Video]] = field(repr=False)
    """Reads whole rows by id, for the cards the cache does not have."""

    @cached_property
    def cards(self) -> list[SafeString]:
        """Read (or rendered) only when the template asks: not for a cached page."""
        return cards_for(self.versions, load=self.load)

    @property
    def cards_html(self) -> SafeString:
        """The cards as one piece of HTML (a template loop over them cost 0.2 ms)."""
        return mark_safe("".join(self.cards))  # each escaped by its own template

    @cached_property
    def content_key(self) -> str:
        """Names all the list template's content block shows, or "" while a card on
        the page is running (its estimate changes from one second to the next).
        Cached: the template asks twice."""
        if any(version.live for version in self.versions):
            return ""
        facts = repr(
            (
                get_script_prefix(),
                self.query_string,
                self.number,
                self.count,
                [version.key for version in self.versions],
                Video.Status.choices,
            )
        )
        return hashlib.blake2b(facts.encode(), digest_size=16).hexdigest()

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))

    @property
    def page_range(self) -> range:
        return range(1, self.num_pages + 1)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def page_of(
    user: User,
    *,
    status: str,
    query: str,
    asked: str | None,
    per_page: int,
    query_string: str,
) -> ListPage:
    """Page `asked` (the `?page=` text, or None) of the user's videos, newest first,
    with this status and prompt text if given."""
    number = _page_number(asked)

    def versions_on(number: int) -> tuple[list[CardVersion], int]:
        start = (number - 1) * per_page
        return list_rows.page_rows(
            user, status=status, query=query, start=start, size=per_page
        )

    versions, count = versions_on(number)
    if not versions and number > 1:
        # Past the end (an old bookmark, videos deleted since): the last page.
        _, count = list_rows.page_rows(
            user, status=status, query=query, start=0, size=1
        )
        number = max(1, math.ceil(count / per_page))
        versions, count = versions_on(number)
    return ListPage(
        number=number,
        per_page=per_page,
        count=count,
        versions=versions,
        query_string=query_string,
        load=lambda pks: Video.objects.filter(user=user, pk__in=pks),
    )


def _page_number(asked: str | None) -> int:
    try:
        number = int(asked or 1)
    except ValueError:
        return 1
    return min(max(number, 1), LAST_PAGE_ASKED)
