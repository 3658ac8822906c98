"""Logging in and out with email and password."""

import pytest

from accounts.tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_with_email(client, user):
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/videos/"


def test_wrong_password_is_refused_inline(client, user):
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": "nope"}
    )
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in (
        response.text
    )
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "data",
    [{}, {"login": "", "password": ""}, {"login": "not an email", "password": "x"}],
)
def test_bad_login_input_shows_errors_not_500(client, data):
    response = client.post("/accounts/login/", data)
    assert response.status_code == 200
    assert response.context["form"].errors


def test_banned_user_cannot_log_in(client, make_user):
    banned = make_user(is_active=False)
    response = client.post(
        "/accounts/login/", {"login": banned.email, "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == "/accounts/inactive/"


def test_logout_needs_post(user_client):
    response = user_client.get("/accounts/logout/")
    assert response.status_code == 200  # a confirmation page, still logged in
    assert "_auth_user_id" in user_client.session
    response = user_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in user_client.session


def test_nav_shows_who_is_logged_in(user_client, user):
    response = user_client.get("/accounts/profile/")
    assert user.get_short_name() in response.text
    assert "Log out" in response.text
