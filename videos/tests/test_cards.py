"""The list page's cards are cached per version of a video (videos/cards.py)."""

import pytest
from django.core.cache import cache

from videos import cards
from videos.models import Video

pytestmark = pytest.mark.django_db


def cached_cards() -> dict[str, str]:
    """The cards in the cache, by key (the test cache is cleared before each test)."""
    keys = [key for key in cache_keys() if key.startswith("video-card:")]
    return cache.get_many(keys)


def cache_keys() -> list[str]:
    """Every key in the test's cache: Redis in CI, local memory elsewhere."""
    if hasattr(cache, "keys"):  # django-redis
        return list(cache.keys("video-card:*"))
    # LocMemCache keeps its entries, keyed ":1:key", in _cache (django-stubs omits it).
    entries = cache._cache  # type: ignore[attr-defined]  # LocMemCache's private store
    return [key.split(":", 2)[2] for key in entries]


def test_a_finished_card_is_rendered_once_then_read_from_the_cache(
    user_client, user, make_video
):
    videos = [
        make_video(user, prompt=f"done {n}", status=Video.Status.COMPLETED)
        for n in range(3)
    ]
    first = user_client.get("/videos/").text
    stored = cached_cards()
    assert sorted(key.split(":")[1] for key in stored) == sorted(
        str(video.pk) for video in videos
    )
    for html in stored.values():
        assert html in first
    # What the page shows from now on is what the cache holds, not a new render.
    cache.set_many({key: f"<li>cached card {key}</li>" for key in stored})
    second = user_client.get("/videos/").text
    for key in stored:
        assert f"<li>cached card {key}</li>" in second


def test_running_cards_are_never_cached(user_client, user, make_video):
    running = make_video(user, status=Video.Status.IN_PROGRESS, progress=10)
    done = make_video(user, status=Video.Status.COMPLETED)
    user_client.get("/videos/")
    assert [key.split(":")[1] for key in cached_cards()] == [str(done.pk)]
    Video.objects.filter(pk=running.pk).update(progress=55)
    assert '<progress max="100" value="55"' in user_client.get("/videos/").text


def test_a_row_changed_behind_the_models_back_gets_a_new_card(
    user_client, user, make_video
):
    """Services and admin actions change rows with `.update()`, which leaves
    `updated_at` alone: the key covers every column, so the card still follows."""
    video = make_video(user, prompt="A quiet harbour", status=Video.Status.COMPLETED)
    assert "Hidden by a moderator" not in user_client.get("/videos/").text
    Video.objects.filter(pk=video.pk).update(hidden=True, hidden_reason="spam")
    assert "Hidden by a moderator" in user_client.get("/videos/").text
    Video.objects.filter(pk=video.pk).update(hidden=False)
    text = user_client.get("/videos/").text
    assert "Hidden by a moderator" not in text
    assert f'src="/videos/{video.pk}/content/?variant=thumbnail"' in text


def test_the_key_names_the_row_the_host_and_the_template(user, make_video, settings):
    video = make_video(user, status=Video.Status.COMPLETED)
    key = cards.card_key(video)
    assert key.startswith(f"video-card:{video.pk}:")
    assert cards.card_key(Video.objects.get(pk=video.pk)) == key
    video.prompt = "Another prompt"
    assert cards.card_key(video) != key


def test_a_cached_card_is_what_the_partial_renders(user, make_video):
    video = make_video(user, status=Video.Status.FAILED)
    [card] = cards.render_cards([video])
    assert card == cards.render_card(video)
    assert cache.get(cards.card_key(video)) == str(card)
