"""Password reset and change through allauth and Django's mailers."""

import re

import pytest

from accounts.tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def test_password_reset_sends_a_working_link(client, user, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [user.email]
    link = re.search(
        r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body
    )
    assert link, message.body

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    new_password = "a-brand-new-passphrase-77"
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_reset_for_unknown_email_reveals_nothing(client, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": "ghost@example.com"})
    assert response.status_code == 302
    assert all("ghost@example.com" in m.to for m in mailoutbox)


def test_password_change(user_client, user):
    response = user_client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "another-long-passphrase-9",
            "password2": "another-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase-9")


def test_password_change_with_wrong_old_password(user_client, user):
    response = user_client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "wrong",
            "password1": "x-long-pass-99",
            "password2": "x-long-pass-99",
        },
    )
    assert response.status_code == 200
    assert "Please type your current password." in response.text
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
