"""The cached URL tags give what `reverse()` and `{% static %}` give, per prefix."""

import uuid

from django.templatetags.static import static
from django.urls import reverse, set_script_prefix

from videos.templatetags.cached_urls import fixed_static, fixed_url, video_url_for


def test_a_video_url_is_reverse_with_its_id():
    pk = uuid.uuid4()
    for name in ("videos:detail", "videos:content", "videos:delete"):
        assert video_url_for(name, pk) == reverse(name, args=[pk])


def test_a_fixed_url_is_reverse():
    for name in ("videos:list", "videos:create", "profile", "account_logout"):
        assert fixed_url(name) == reverse(name)


def test_another_script_prefix_gets_its_own_urls():
    pk = uuid.uuid4()
    plain_list, plain_detail = (
        fixed_url("videos:list"),
        video_url_for("videos:detail", pk),
    )
    set_script_prefix("/studio/")
    try:
        assert fixed_url("videos:list") == "/studio" + plain_list
        assert video_url_for("videos:detail", pk) == "/studio" + plain_detail
        assert fixed_static("css/site.css") == static("css/site.css")
    finally:
        set_script_prefix("/")
    assert fixed_url("videos:list") == plain_list


def test_a_fixed_static_url_is_static():
    for path in ("css/site.css", "js/poll-loop.js", "img/favicon.svg"):
        assert fixed_static(path) == static(path)


def test_another_static_url_or_storage_gets_its_own(settings):
    before = fixed_static("css/site.css")
    settings.STATIC_URL = "https://cdn.example/assets/"
    assert fixed_static("css/site.css") == static("css/site.css")
    assert fixed_static("css/site.css").startswith("https://cdn.example/assets/css/")
    settings.STATIC_URL = "/static/"
    assert fixed_static("css/site.css") == before
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "videos.tests.test_cached_urls.VersionedStorage"},
    }
    assert fixed_static("css/site.css") == "/static/css/site.css?v=1"


class VersionedStorage:
    """A staticfiles storage of another kind: its URLs carry a version."""

    def url(self, name: str) -> str:
        return f"/static/{name}?v=1"
