"""The profile page: login required, name editable, quota shown."""

import pytest

pytestmark = pytest.mark.django_db


def test_profile_requires_login(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/profile/")


def test_profile_shows_email_and_quota(user_client, user, settings):
    settings.DAILY_SECONDS_QUOTA = 96
    response = user_client.get("/accounts/profile/")
    assert response.status_code == 200
    assert user.email in response.text
    assert "96 seconds" in response.text


def test_profile_edit_name(user_client, user):
    response = user_client.post("/accounts/profile/", {"name": "  Grace Hopper "})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name == "Grace Hopper"
    assert "Your profile was saved." in user_client.get("/accounts/profile/").text


def test_profile_name_too_long_is_a_form_error(user_client, user):
    response = user_client.post("/accounts/profile/", {"name": "x" * 151})
    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters" in response.text
    user.refresh_from_db()
    assert user.name == "Ada"
