"""The list page's cards are cached per version of a video (videos/cards.py)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key

from videos import cards
from videos.cards import CardVersion
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
    # A running video keeps the page's content from being cached whole (see below), so
    # the page reads its finished cards from their own cache entries.
    make_video(user, status=Video.Status.IN_PROGRESS, progress=10)
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


def content_fragment_keys() -> list[str]:
    prefix = make_template_fragment_key("video_list_content").rsplit(".", 1)[0]
    if hasattr(cache, "keys"):  # django-redis
        return list(cache.keys(f"{prefix}.*"))
    entries = cache._cache  # type: ignore[attr-defined]  # LocMemCache's private store
    return [key.split(":", 2)[2] for key in entries if prefix in key]


def test_a_page_of_finished_cards_is_cached_whole_until_a_row_changes(
    user_client, user, make_video
):
    done = make_video(user, prompt="A quiet harbour", status=Video.Status.COMPLETED)
    make_video(user, prompt="A dry riverbed", status=Video.Status.FAILED)
    first = user_client.get("/videos/")
    [key] = content_fragment_keys()
    assert "A quiet harbour" in cache.get(key)
    cache.set(key, "<p>the cached page content</p>")
    second = user_client.get("/videos/").text
    assert "<p>the cached page content</p>" in second
    assert "A quiet harbour" not in second
    # Any change to a video on the page names other content.
    Video.objects.filter(pk=done.pk).update(hidden=True, hidden_reason="spam")
    third = user_client.get("/videos/").text
    assert "<p>the cached page content</p>" not in third
    assert "Hidden by a moderator" in third
    assert first.status_code == 200


def test_the_content_differs_by_query_string_and_user(
    user_client, user, make_user, make_video, client
):
    make_video(user, prompt="ocean at dawn", status=Video.Status.COMPLETED)
    assert "ocean at dawn" in user_client.get("/videos/").text
    assert "ocean at dawn" not in user_client.get("/videos/?q=forest").text
    assert 'value="forest"' in user_client.get("/videos/?q=forest").text
    other = make_user()
    client.force_login(other)
    assert "ocean at dawn" not in client.get("/videos/").text
    assert len(content_fragment_keys()) == 3


def test_a_page_with_a_running_card_is_never_cached_whole(
    user_client, user, make_video
):
    running = make_video(user, status=Video.Status.IN_PROGRESS, progress=10)
    make_video(user, status=Video.Status.COMPLETED)
    user_client.get("/videos/")
    assert content_fragment_keys() == []
    Video.objects.filter(pk=running.pk).update(progress=55)
    assert '<progress max="100" value="55"' in user_client.get("/videos/").text


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
    """Services and admin actions change rows with `.update()`, which Django leaves
    unstamped: VideoQuerySet.update() stamps `updated_at`, so the card follows."""
    video = make_video(user, prompt="A quiet harbour", status=Video.Status.COMPLETED)
    assert "Hidden by a moderator" not in user_client.get("/videos/").text
    Video.objects.filter(pk=video.pk).update(hidden=True, hidden_reason="spam")
    assert "Hidden by a moderator" in user_client.get("/videos/").text
    Video.objects.filter(pk=video.pk).update(hidden=False)
    text = user_client.get("/videos/").text
    assert "Hidden by a moderator" not in text
    assert f'src="/videos/{video.pk}/content/?variant=thumbnail"' in text


def test_the_key_names_the_row_version_the_host_and_the_template(
    user, make_video, settings
):
    video = make_video(user, status=Video.Status.COMPLETED)
    key = CardVersion.of(video).key
    assert key.startswith(f"video-card:{video.pk}:")
    assert CardVersion.of(Video.objects.get(pk=video.pk)).key == key
    # Any change to the row, by save() or by update(), is a new version.
    video.prompt = "Another prompt"
    video.save()
    saved = CardVersion.of(video).key
    assert saved != key
    Video.objects.filter(pk=video.pk).update(hidden=True)
    updated = CardVersion.of(Video.objects.get(pk=video.pk)).key
    assert updated not in (key, saved)
    # So is another host name, or another profile for the video's model.
    settings.SORA_HOST_NAME = "Another host"
    assert CardVersion.of(Video.objects.get(pk=video.pk)).key != updated


def test_an_update_keeps_an_updated_at_it_was_given(user, make_video):
    video = make_video(user, status=Video.Status.COMPLETED)
    stamp = video.updated_at - timedelta(days=3)
    Video.objects.filter(pk=video.pk).update(updated_at=stamp, progress=100)
    assert Video.objects.get(pk=video.pk).updated_at == stamp


def test_a_cached_card_is_what_the_partial_renders(user, make_video):
    video = make_video(user, status=Video.Status.FAILED)
    [card] = cards.render_cards([video])
    assert card == cards.render_card(video)
    assert cache.get(CardVersion.of(video).key) == str(card)
