"""Signing up as a person does: the form, then the link in the confirmation email."""

import re

from django.core import mail
from django.test import Client


def confirmation_path(message: mail.EmailMessage) -> str:
    """The confirm-email link of a message, as a path on this site."""
    # str(): a message's body may be a lazy string in Django's types; sent ones are text.
    body = str(message.body)
    [link] = re.findall(r"https?://\S+/accounts/confirm-email/\S+", body)
    return re.sub(r"^https?://[^/]+", "", link)


def sign_up_and_confirm(client: Client, email: str, password: str) -> None:
    """Sign up with the test client and confirm the address (which logs it in)."""
    sent_before = len(mail.outbox)
    response = client.post(
        "/accounts/signup/",
        {"email": email, "password1": password, "password2": password},
    )
    assert response.status_code == 302, response.text
    [message] = mail.outbox[sent_before:]
    assert client.post(confirmation_path(message)).status_code == 302
