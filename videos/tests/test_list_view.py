"""`/videos/`: the user's videos, paginated, filtered and searched."""

import pytest
from django.utils import timezone

from videos.models import Video

pytestmark = pytest.mark.django_db


def test_empty_state_links_to_create(user_client):
    response = user_client.get("/videos/")
    assert response.status_code == 200
    assert "You have no videos yet." in response.text
    assert 'href="/videos/new/"' in response.text


def test_lists_only_my_videos_newest_first_hidden_ones_marked(
    user_client, user, other_user, make_video
):
    older = make_video(user, prompt="older clip")
    newer = make_video(user, prompt="newer clip")
    make_video(user, prompt="hidden clip", hidden=True)
    make_video(other_user, prompt="someone else's clip")
    text = user_client.get("/videos/").text
    assert text.index("newer clip") < text.index("older clip")
    assert "hidden clip" in text and "Hidden by a moderator" in text
    assert "someone else" not in text
    assert str(newer.pk) in text and str(older.pk) in text


def test_completed_rows_have_lazy_thumbnails_running_rows_progress(
    user_client, user, make_video
):
    done = make_video(user, status=Video.Status.COMPLETED, progress=100)
    make_video(user, status=Video.Status.IN_PROGRESS, progress=42)
    text = user_client.get("/videos/").text
    assert f'src="/videos/{done.pk}/content/?variant=thumbnail"' in text
    assert 'loading="lazy"' in text
    assert '<progress max="100" value="42"' in text


def test_pagination_filter_and_search_work_together(user_client, user, make_video):
    now = timezone.now()
    for n in range(30):
        make_video(
            user,
            prompt=f"{'ocean' if n % 2 else 'forest'} scene {n}",
            status=Video.Status.COMPLETED if n % 3 else Video.Status.FAILED,
            created_at=now - timezone.timedelta(minutes=n),
        )
    response = user_client.get("/videos/?q=ocean&status=completed")
    page = response.context["page"]
    # odd n (ocean) and n % 3 != 0 (completed): 10 of the 30
    assert page.count == 10
    assert len(page.cards) == 10
    response = user_client.get("/videos/?q=scene")
    page = response.context["page"]
    assert page.num_pages == 3
    assert len(page.cards) == 12
    assert "?q=scene&amp;page=2" in response.text
    response = user_client.get("/videos/?status=completed&q=scene&page=2")
    assert "status=completed&amp;q=scene&amp;page=1" in response.text
    assert response.context["page"].number == 2


def test_unknown_status_and_bad_page_are_harmless(user_client, user, make_video):
    make_video(user)
    response = user_client.get("/videos/?status=nonsense&page=999")
    assert response.status_code == 200
    assert len(response.context["page"].cards) == 1


def test_no_matches_says_so(user_client, user, make_video):
    make_video(user, prompt="a forest")
    response = user_client.get("/videos/?q=volcano")
    assert "No videos match these filters." in response.text


@pytest.mark.parametrize("count", [1, 50])
def test_query_count_does_not_grow_with_videos(
    user_client, user, make_video, count, django_assert_max_num_queries
):
    for n in range(count):
        make_video(
            user,
            prompt=f"clip {n}",
            status=Video.Status.COMPLETED if n % 2 else Video.Status.IN_PROGRESS,
        )
    with django_assert_max_num_queries(4):
        response = user_client.get("/videos/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("asked", "shown"),
    [("", 1), ("2", 2), ("3", 3), ("4", 3), ("0", 1), ("-5", 1), ("x", 1), ("2.0", 1)]
    + [("9" * 30, 3)],
)
def test_page_numbers_as_the_paginator_reads_them(
    user_client, user, make_video, asked, shown
):
    """Not a number: the first page; past the end (however far): the last."""
    now = timezone.now()
    for n in range(30):
        make_video(user, created_at=now - timezone.timedelta(minutes=n))
    response = user_client.get("/videos/", {"page": asked})
    assert response.status_code == 200
    page = response.context["page"]
    assert (page.number, page.count, page.num_pages) == (shown, 30, 3)
    assert len(page.cards) == (6 if shown == 3 else 12)


def test_a_page_counts_only_what_its_filters_let_through(user_client, user, make_video):
    make_video(user, prompt="ocean one", status=Video.Status.COMPLETED)
    make_video(user, prompt="forest", status=Video.Status.COMPLETED)
    make_video(user, prompt="ocean two", status=Video.Status.FAILED)
    page = user_client.get("/videos/?q=ocean&status=completed").context["page"]
    assert (page.count, len(page.cards), page.has_other_pages) == (1, 1, False)
