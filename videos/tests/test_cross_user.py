"""Another user's video is a 404 on every route and method; anonymous users log in."""

import pytest

from videos.models import Video

pytestmark = pytest.mark.django_db

ROUTES = [
    ("get", "/videos/{pk}/"),
    ("get", "/videos/{pk}/status/"),
    ("get", "/videos/{pk}/content/"),
    ("get", "/videos/{pk}/content/?variant=thumbnail"),
    ("head", "/videos/{pk}/content/"),
    ("post", "/videos/{pk}/remix/"),
    ("post", "/videos/{pk}/delete/"),
]


@pytest.fixture
def victim_video(other_user, make_video):
    return make_video(
        other_user, status=Video.Status.COMPLETED, openai_video_id="video_victim"
    )


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_another_users_video_is_404(user_client, victim_video, method, route):
    response = getattr(user_client, method)(
        route.format(pk=victim_video.pk),
        {"prompt": "steal"} if method == "post" else {},
    )
    assert response.status_code == 404
    assert Video.objects.filter(pk=victim_video.pk).exists()
    assert Video.objects.count() == 1


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_anonymous_is_sent_to_login(client, victim_video, method, route):
    response = getattr(client, method)(route.format(pk=victim_video.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("route", ["/videos/", "/videos/new/"])
def test_anonymous_pages_need_login(client, route):
    assert client.get(route)["Location"].startswith("/accounts/login/")
