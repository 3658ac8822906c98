"""A sweep over the URLconf: login, ownership, CSRF and methods on every route of ours."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from videos.models import Video

pytestmark = pytest.mark.django_db

PUBLIC = {"", "health"}
LOGIN_REQUIRED = {
    # route: (allowed methods, needs a video id)
    "accounts/profile/": ({"GET", "POST"}, False),
    "videos/": ({"GET"}, False),
    "videos/new/": ({"GET", "POST"}, False),
    "videos/<uuid:pk>/": ({"GET"}, True),
    "videos/<uuid:pk>/status/": ({"GET"}, True),
    "videos/<uuid:pk>/content/": ({"GET", "HEAD"}, True),
    "videos/status/": ({"GET"}, False),
    # A GET of a form's action (a reloaded error page) leads back to the video.
    "videos/<uuid:pk>/remix/": ({"GET", "POST"}, True),
    "videos/<uuid:pk>/delete/": ({"GET", "POST"}, True),
}
THIRD_PARTY_PREFIXES = ("accounts/", "admin/")  # allauth's and Django's own, below


def our_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLPattern):
            routes.append(route)
        elif not route.startswith(THIRD_PARTY_PREFIXES):
            routes.extend(our_routes(entry, route))
    return routes


def url(route: str, video: Video | None = None) -> str:
    return "/" + route.replace("<uuid:pk>", str(video.pk) if video else "")


@pytest.fixture
def victim(other_user, make_video):
    return make_video(other_user, status=Video.Status.COMPLETED, openai_video_id="v_1")


@pytest.fixture
def mine(user, make_video):
    return make_video(user, status=Video.Status.COMPLETED, openai_video_id="v_2")


def test_every_route_is_classified():
    """A new route must be added here, with its access rules, to pass."""
    routes = set(our_routes()) | {"accounts/profile/"}
    assert routes == PUBLIC | set(LOGIN_REQUIRED)


@pytest.mark.parametrize("route", sorted(LOGIN_REQUIRED))
def test_anonymous_is_sent_to_login(client, route, victim):
    methods, needs_video = LOGIN_REQUIRED[route]
    for method in methods:
        response = getattr(client, method.lower())(
            url(route, victim if needs_video else None)
        )
        assert response.status_code == 302, (method, route)
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "route", sorted(r for r, (_, needs_video) in LOGIN_REQUIRED.items() if needs_video)
)
def test_another_users_video_is_404_for_every_method(user_client, route, victim):
    methods, _ = LOGIN_REQUIRED[route]
    for method in methods:
        response = getattr(user_client, method.lower())(url(route, victim))
        assert response.status_code == 404, (method, route)
    assert Video.objects.filter(pk=victim.pk).exists()


@pytest.mark.parametrize(
    "route",
    sorted(r for r, (methods, _) in LOGIN_REQUIRED.items() if "POST" in methods),
)
def test_post_without_csrf_token_is_403(user, mine, route):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(url(route, mine), {"prompt": "x", "name": "x"})
    assert response.status_code == 403
    assert Video.objects.filter(pk=mine.pk).exists()


@pytest.mark.parametrize(
    "route", ["accounts/logout/", "accounts/login/", "accounts/signup/"]
)
def test_allauth_posts_need_csrf_too(user, route):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/" + route, {"login": user.email}).status_code == 403


@pytest.mark.parametrize("route", sorted(LOGIN_REQUIRED))
def test_wrong_methods_are_405(user_client, mine, route):
    methods, needs_video = LOGIN_REQUIRED[route]
    for method in {"GET", "POST", "PUT", "DELETE"} - methods - {"HEAD"}:
        response = user_client.generic(
            method, url(route, mine if needs_video else None)
        )
        assert response.status_code == 405, (method, route)


def test_public_pages_are_public(client):
    for path in (
        "/",
        "/health",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
    ):
        assert client.get(path).status_code == 200, path


def test_admin_needs_staff(client, user_client):
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert user_client.get("/admin/")["Location"].startswith("/admin/login/")


def test_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_uploads_are_not_served_from_media(client, user_client):
    assert user_client.get("/media/references/anything.png").status_code == 404


def test_the_openai_key_never_reaches_a_page(user_client, user, mine, settings):
    settings.OPENAI_API_KEY = "sk-canary-must-never-be-shown-4242"
    pages = [
        "/videos/",
        "/videos/new/",
        f"/videos/{mine.pk}/",
        f"/videos/{mine.pk}/status/",
        "/accounts/profile/",
        "/videos/00000000-0000-0000-0000-000000000000/",
    ]
    for page in pages:
        assert settings.OPENAI_API_KEY not in user_client.get(page).text, page
    assert settings.OPENAI_API_KEY not in Client().get("/").text
