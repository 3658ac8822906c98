"""An email address belongs to whoever verified it: unverified claims count for nothing.

A user can attach any address to their account at /accounts/email/ without owning it.
Such a claim must not block the address's owner from signing up, must not route the
owner's password reset into the claimer's account, and disappears once the owner
confirms the address. Spending quota needs a confirmed address.
"""

import re
import uuid

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache

from accounts.models import User
from accounts.tests.fixtures import PASSWORD
from videos.models import Video

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.com"


def links(message) -> list[str]:
    return [
        re.sub(r"^https?://[^/]+", "", link)
        for link in re.findall(r"https?://\S+", message.body)
    ]


@pytest.fixture
def squatted(user_client, user):
    """`user` attached VICTIM to their own account, unverified."""
    response = user_client.post("/accounts/email/", {"email": VICTIM, "action_add": ""})
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=user, email=VICTIM, verified=False).exists()
    return user


def test_an_unverified_claim_does_not_stop_the_owner_signing_up(
    squatted, client, mailoutbox
):
    # allauth sends one confirmation per address per 3 minutes (mail bombing): the
    # owner signs up later than that.
    cache.clear()
    mailoutbox.clear()
    response = client.post(
        "/accounts/signup/",
        {"email": VICTIM, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    owner = User.objects.get(email=VICTIM)
    [message] = mailoutbox
    assert message.subject.endswith("Please Confirm Your Email Address")
    [confirm] = [link for link in links(message) if "/confirm-email/" in link]
    assert client.post(confirm).status_code == 302
    assert EmailAddress.objects.get(email=VICTIM, user=owner).verified
    # The squatter's unverified copy is gone: the address is the owner's alone.
    assert not EmailAddress.objects.filter(user=squatted, email=VICTIM).exists()


def test_a_password_reset_never_leads_into_the_claimers_account(
    squatted, client, mailoutbox
):
    mailoutbox.clear()
    client.post("/accounts/password/reset/", {"email": VICTIM})
    [message] = mailoutbox
    assert message.to == [VICTIM]
    assert message.subject.endswith("Unknown Account")
    assert not any("/password/reset/key/" in link for link in links(message))


def test_a_reset_still_reaches_an_account_through_its_own_verified_address(
    user, client, mailoutbox
):
    client.post("/accounts/password/reset/", {"email": user.email.upper()})
    [message] = mailoutbox
    assert any("/password/reset/key/" in link for link in links(message))


def test_an_unverified_user_cannot_spend_quota(client_for, make_user, emulator):
    unverified = make_user(verified=False)
    browser = client_for(unverified)
    page = browser.get("/videos/new/")
    assert "Confirm your email address to make videos." in page.text
    assert 'href="/accounts/email/"' in page.text
    response = browser.post(
        "/videos/new/",
        {
            "prompt": "A kite over dunes",
            "model": "sora-2",
            "size": "1280x720",
            "seconds": "4",
            "form_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert "Confirm your email address before making videos" in response.text
    assert not Video.objects.exists()
    assert emulator.stats()["creates"] == 0


def test_a_verified_user_sees_no_confirmation_notice(user_client):
    page = user_client.get("/videos/new/")
    assert "Confirm your email address" not in page.text


def test_createsuperuser_vouches_for_the_operators_address(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", email="ops@example.com", verbosity=0)
    admin = User.objects.get(email="ops@example.com")
    assert admin.is_superuser
    assert EmailAddress.objects.get(user=admin, email="ops@example.com").verified
