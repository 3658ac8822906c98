"""The list page's written-out query reads what the ORM's selector reads."""

from dataclasses import astuple

import pytest
from django.utils import timezone

from videos import list_rows, selectors
from videos.models import Video

pytestmark = pytest.mark.django_db

PROMPTS = [
    "Ocean waves at dawn",
    "an OCEAN liner, 100% steel",
    "forest_path in fog",
    "Forest path in fog",
    "back\\slash and ocean",
    "Über den Wolken",
    "über den wolken, ocean",
]


@pytest.fixture
def videos(user, make_user, make_video):
    now = timezone.now()
    statuses = list(Video.Status)
    made = [
        make_video(
            user,
            prompt=prompt,
            status=statuses[n % len(statuses)],
            hidden=n == 3,
            created_at=now - timezone.timedelta(minutes=n % 4),
        )
        for n, prompt in enumerate(PROMPTS * 3)
    ]
    make_video(make_user(), prompt="Ocean waves at dawn, someone else's")
    return made


@pytest.mark.parametrize("status", ["", "completed", "failed", "in_progress"])
@pytest.mark.parametrize(
    "query",
    ["", "ocean", "OCEAN", "100%", "forest_path", "_", "%", "\\", "über", "zzz"],
)
def test_the_same_rows_in_the_same_order_as_the_orm(user, videos, status, query):
    expected = list(
        selectors.videos_for_list(user, status=status, query=query).values_list(
            *list_rows.VERSION_FIELDS
        )
    )
    for start, size in [(0, 100), (0, 5), (5, 5), (20, 5)]:
        rows, count = list_rows.page_rows(
            user, status=status, query=query, start=start, size=size
        )
        assert [astuple(row) for row in rows] == expected[start : start + size]
        assert count == (len(expected) if rows else 0)


def test_values_come_back_as_the_fields_python_types(user, videos):
    [row], count = list_rows.page_rows(user, status="", query="", start=0, size=1)
    video = Video.objects.get(pk=row.pk)
    assert astuple(row) == (
        video.pk,
        video.updated_at,
        video.model,
        video.status,
        video.hidden,
    )
    assert count == len(videos)
