"""Passkeys in a real browser: add one while logged in, then sign in with it alone.

Chromium's virtual authenticator (DevTools' WebAuthn domain) stands in for the phone
or security key: it holds the credential, and answers "user verified" as a device
does after its PIN or fingerprint. Every page must run under the site's CSP (the
`pages` fixture fails the test on a violation or a console error).
"""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from accounts.tests.fixtures import PASSWORD, log_in_at_the_admin
from videos.tests.axe import MISSING_AXE, failing, load_axe, run_axe

pytest_plugins = ["videos.tests.browser"]
pytestmark = pytest.mark.browser

VIRTUAL_PASSKEY_DEVICE = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def add_virtual_authenticator(page) -> dict:
    """A passkey device for this page's browser context; returns its DevTools id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_PASSKEY_DEVICE}
    )
    return {"cdp": cdp, "id": added["authenticatorId"]}


def stored_credentials(device: dict) -> list[dict]:
    return device["cdp"].send(
        "WebAuthn.getCredentials", {"authenticatorId": device["id"]}
    )["credentials"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    source = load_axe()
    if source is None:
        pytest.fail(MISSING_AXE)
    return source


def assert_accessible(page, axe_source: str) -> None:
    """No serious or critical axe-core finding on the page as it stands."""
    page.wait_for_load_state("load")
    found = failing(run_axe(page, axe_source))
    assert not found, page.url + "\n" + "\n".join(v.describe() for v in found)


def confirm_password(page) -> None:
    """allauth asks for the password again before security settings change."""
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()


def test_add_a_passkey_then_sign_in_with_it_alone(pages, make_user, axe_source):
    person = make_user(name="Pat Key")
    page = pages.new()
    device = add_virtual_authenticator(page)

    pages.log_in(page, person.email)
    expect(page).to_have_url(re.compile(r"/videos/$"))

    page.goto("/accounts/2fa/")
    assert_accessible(page, axe_source)
    page.get_by_role("link", name="Add a passkey").click()
    confirm_password(page)
    expect(page.get_by_role("heading", name="Add a passkey")).to_be_visible()
    assert_accessible(page, axe_source)
    expect(page.get_by_label("Sign in with this key (passkey)")).to_be_checked()
    page.get_by_label("Name").fill("Laptop")
    page.get_by_role("button", name="Add passkey").click()

    # The first key comes with recovery codes, shown once it is saved.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    assert_accessible(page, axe_source)
    [credential] = stored_credentials(device)
    assert credential["isResidentCredential"]
    [key] = Authenticator.objects.filter(user=person, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Laptop"
    assert key.wrap().is_passwordless

    page.goto("/accounts/2fa/")
    expect(page.get_by_text("You have 1 passkey or security key.")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()

    page.goto("/accounts/login/")
    assert_accessible(page, axe_source)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(re.compile(r"/videos/$"))
    expect(page.get_by_role("link", name="Pat Key")).to_be_visible()

    # With a key, a password login asks for it as the second step.
    page.get_by_role("button", name="Log out").click()
    pages.log_in(page, person.email)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    assert_accessible(page, axe_source)
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page).to_have_url(re.compile(r"/videos/$"))


def test_the_staff_setup_pages_pass_axe(pages, staff_user, axe_source):
    """The pages a staff member goes through on the way into the admin the first time
    (the full journey is in test_browser_admin.py)."""
    page = pages.new(pages.phone)
    log_in_at_the_admin(page, staff_user)
    page.wait_for_url("**/accounts/reauthenticate/**")
    assert_accessible(page, axe_source)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert_accessible(page, axe_source)
