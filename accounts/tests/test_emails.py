"""allauth's emails speak as Sora Studio, with links a person can copy.

Each email comes from allauth's real flow through our templates (templates/account/
email/) into Django's test outbox; in development the folder mailer writes the same
email as a readable file (sora_site/mail.py).
"""

import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives

from accounts.models import User
from accounts.tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

GREETING = "Hello from Sora Studio!"
SIGN_OFF = "Thank you for using Sora Studio."


def link_lines(body: str) -> list[str]:
    """Lines that are one whole link and nothing else, as a person copies them."""
    return [line for line in body.splitlines() if re.fullmatch(r"https?://\S+", line)]


def assert_speaks_as_the_product(message: EmailMessage, subject: str) -> None:
    assert message.subject == f"[Sora Studio] {subject}"
    # str(): Django's types allow a lazy body; a sent message's is text.
    body = str(message.body)
    assert body.splitlines()[0] == GREETING
    assert body.rstrip().endswith(SIGN_OFF)
    # The request's host (testserver here, 127.0.0.1:8000 under `make run`) is only
    # ever part of a link, never the product's name.
    for line in body.splitlines():
        if "testserver" in line:
            assert line in link_lines(body), line


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_sign_up_confirmation_email_has_a_working_link_on_its_own_line(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.com"]
    assert_speaks_as_the_product(message, "Please Confirm Your Email Address")
    assert "account at Sora Studio" in message.body
    [link] = link_lines(message.body)
    assert "/accounts/confirm-email/" in link

    confirm_page = client.get(path_of(link))
    assert confirm_page.status_code == 200
    assert client.post(path_of(link)).status_code == 302
    assert EmailAddress.objects.get(email="new@example.com").verified


def test_password_reset_email_speaks_as_the_product(client, user):
    assert client.post("/accounts/password/reset/", {"email": user.email}).status_code
    [message] = mail.outbox
    assert_speaks_as_the_product(message, "Password Reset Email")
    [link] = link_lines(message.body)
    assert "/accounts/password/reset/key/" in link
    assert client.get(path_of(link), follow=True).status_code == 200


def test_unknown_account_email_speaks_as_the_product(client):
    client.post("/accounts/password/reset/", {"email": "ghost@example.com"})
    [message] = mail.outbox
    assert message.to == ["ghost@example.com"]
    assert_speaks_as_the_product(message, "Unknown Account")
    [link] = link_lines(message.body)
    assert path_of(link) == "/accounts/signup/"


def test_already_registered_email_speaks_as_the_product(client, user, settings):
    # With mandatory verification allauth hides who is registered: the sign-up looks
    # like any other, and the owner of the address gets this notice instead.
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = client.post(
        "/accounts/signup/",
        {"email": user.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.filter(email__iexact=user.email).count() == 1
    [message] = mail.outbox
    assert_speaks_as_the_product(message, "Account Already Exists")
    [link] = link_lines(message.body)
    assert path_of(link) == "/accounts/password/reset/"


def test_password_changed_notice_speaks_as_the_product(user_client, settings):
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    response = user_client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "another-long-passphrase-9",
            "password2": "another-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    [message] = mail.outbox
    assert_speaks_as_the_product(message, "Password Changed")


@pytest.fixture
def email_folder(settings, tmp_path):
    """The development mailer, as settings choose it with DEBUG on, into a tmp folder."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "sora_site.mail.FolderEmailBackend",
            "OPTIONS": {"directory": str(tmp_path / "emails")},
        }
    }
    return tmp_path / "emails"


def test_development_mailer_writes_a_readable_file_and_says_where(
    client, user, email_folder, capsys
):
    client.post("/accounts/password/reset/", {"email": user.email})

    [path] = email_folder.iterdir()
    assert path.suffix == ".txt" and "password-reset-email" in path.name
    text = path.read_text(encoding="utf-8")
    assert "Subject: [Sora Studio] Password Reset Email\n" in text
    assert f"To: {user.email}\n" in text
    # Decoded, not MIME: no quoted-printable soft breaks or escapes in the link.
    assert "Content-Transfer-Encoding" not in text and "=3D" not in text
    [link] = link_lines(text)
    assert len(link) > 76  # long enough that quoted-printable would have cut it
    assert client.get(path_of(link), follow=True).status_code == 200

    [printed] = capsys.readouterr().out.strip().splitlines()
    announced, _, shown = printed.rpartition(" written to ")
    assert announced == f"Email to {user.email}"
    assert Path(shown).resolve() == path.resolve()  # relative to where it runs, or not


def test_development_mailer_keeps_utf_8_and_every_email(email_folder):
    body = "Grüße aus dem Studio — ✓\nhttps://example.com/a-link"
    for _ in range(2):
        EmailMessage("Über [Sora] ✓", body, to=["zoë@example.com"]).send()

    paths = sorted(email_folder.iterdir())
    assert len(paths) == 2  # same subject, same second: two files, none overwritten
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n\n" + body + "\n")
        assert "To: zoë@example.com\n" in text


def test_development_mailer_without_a_folder_is_a_clear_configuration_error(settings):
    settings.MAILERS = {"default": {"BACKEND": "sora_site.mail.FolderEmailBackend"}}
    with pytest.raises(mail.InvalidMailer, match="OPTIONS must define 'directory'"):
        mail.mailers.create_connection("default")


def test_development_mailer_keeps_an_html_version_beside_the_text(email_folder):
    message = EmailMultiAlternatives("Hi", "plain words", to=["a@example.com"])
    message.attach_alternative("<p>rich <b>words</b></p>", "text/html")
    message.send()

    [text_path] = email_folder.glob("*.txt")
    html_path = text_path.with_suffix(".html")
    assert html_path.read_text(encoding="utf-8") == "<p>rich <b>words</b></p>"
    text = text_path.read_text(encoding="utf-8")
    assert f"HTML version: {html_path.name}\n" in text
    assert text.endswith("\n\nplain words\n")
