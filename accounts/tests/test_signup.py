"""Sign-up through allauth's real view and our templates."""

import re

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.fixtures import PASSWORD
from accounts.tests.signup import confirmation_path

pytestmark = pytest.mark.django_db


def csrf_token_from(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
    assert match, "form has no CSRF token"
    return match.group(1)


def test_signup_confirm_logout_login_again_with_csrf_enforced(mailoutbox):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert 'name="email"' in page.text and 'name="password2"' in page.text

    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "csrfmiddlewaretoken": csrf_token_from(page),
        },
    )
    # Mandatory confirmation: no session until the address is confirmed.
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/videos/").status_code == 302
    user = User.objects.get(email="new@example.com")

    link = confirmation_path(mailoutbox[-1])
    confirm_page = client.get(link)
    response = client.post(link, {"csrfmiddlewaretoken": csrf_token_from(confirm_page)})
    assert response.status_code == 302
    assert client.get("/videos/").wsgi_request.user == user

    videos_page = client.get("/videos/")
    response = client.post(
        "/accounts/logout/", {"csrfmiddlewaretoken": csrf_token_from(videos_page)}
    )
    assert response.status_code == 302
    assert client.get("/videos/").status_code == 302  # back to the login page

    login_page = client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {
            "login": "new@example.com",
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_token_from(login_page),
        },
    )
    assert response.status_code == 302
    assert client.get("/videos/").status_code == 200


def test_signup_without_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/signup/",
        {"email": "x@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="x@example.com").exists()


def test_a_taken_address_is_answered_like_a_free_one(user, client, mailoutbox):
    """No enumeration: the page and the redirect are the same; only the address's
    owner learns (by email) that it already has an account."""
    free = client.post(
        "/accounts/signup/",
        {"email": "free@example.com", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    taken = Client().post(
        "/accounts/signup/",
        {"email": user.email.upper(), "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert taken.redirect_chain == free.redirect_chain
    assert taken.status_code == free.status_code == 200
    assert "already" not in taken.text.lower()
    assert taken.text.replace(user.email.upper(), "X").replace(
        user.email, "X"
    ) == free.text.replace("free@example.com", "X")
    assert User.objects.filter(email__iexact=user.email).count() == 1
    subjects = {message.to[0]: message.subject for message in mailoutbox}
    assert subjects[user.email].endswith("Account Already Exists")
    assert subjects["free@example.com"].endswith("Please Confirm Your Email Address")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "email", "This field is required."),
        (
            {"email": "not-an-email", "password1": PASSWORD, "password2": PASSWORD},
            "email",
            "Enter a valid email address.",
        ),
        (
            {
                "email": "a@example.com",
                "password1": PASSWORD,
                "password2": "other-42!x",
            },
            "password2",
            "You must type the same password each time.",
        ),
        (
            {"email": "a@example.com", "password1": "123", "password2": "123"},
            "password1",
            "This password is too short.",
        ),
        (
            {
                "email": "a@example.com",
                "password1": "password",
                "password2": "password",
            },
            "password1",
            "This password is too common.",
        ),
    ],
)
def test_bad_signup_input_shows_form_errors(client, data, field, message):
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    assert message in response.text
    assert field in response.context["form"].errors
    assert User.objects.count() == 0


def test_signup_page_uses_our_layout(client):
    response = client.get("/accounts/signup/")
    assert "Sora Studio" in response.text
    assert "css/site.css" in response.text
    assert '<label for="id_email"' in response.text
