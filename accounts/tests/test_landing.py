"""The landing page: public for visitors, a redirect for users."""

import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_sees_what_the_product_does(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Describe a scene" in response.text
    assert 'href="/accounts/signup/"' in response.text
    assert 'href="/accounts/login/"' in response.text


def test_logged_in_user_goes_to_videos(user_client):
    response = user_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/videos/"
