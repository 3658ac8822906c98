"""Two-factor for staff, through the real allauth views with the test client.

The codes are computed here from the secret (RFC 6238), as an authenticator app does.
"""

import re
from urllib.parse import quote

import pytest
from allauth.mfa.models import Authenticator

from accounts.tests.fixtures import (
    PASSWORD,
    TOTP_SECRET,
    fresh_totp_code,
    give_totp,
    pass_second_factor,
    totp_code,
)

pytestmark = pytest.mark.django_db


def log_in(client, user, next_url: str = "/admin/"):
    """The password step of allauth's login, asking to go on to `next_url`."""
    return client.post(
        f"/accounts/login/?next={next_url}",
        {"login": user.email, "password": PASSWORD, "next": next_url},
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def confirm_password(client, then: str) -> None:
    """allauth asks for the password again before any change to two-factor settings,
    even right after login; answer it and check it sends us on to `then`."""
    response = client.get(then)
    assert response["Location"] == f"/accounts/reauthenticate/?next={quote(then, '')}"
    response = client.post(
        "/accounts/reauthenticate/", {"password": PASSWORD, "next": then}
    )
    assert response["Location"] == then


def recovery_codes(client) -> list[str]:
    """The unused codes, read from the page that shows them."""
    confirm_password(client, "/accounts/2fa/recovery-codes/")
    page = client.get("/accounts/2fa/recovery-codes/")
    assert page.status_code == 200
    return codes_on(page.text)


def codes_on(page: str) -> list[str]:
    box = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.DOTALL)
    assert box is not None, "no recovery codes on the page"
    return box.group(1).split()


def test_totp_codes_of_this_helper_are_the_rfc_6238_ones():
    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890", last 6 digits.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp_code(secret, at=59) == "287082"
    assert totp_code(secret, at=1111111109) == "081804"
    assert totp_code(secret, at=2000000000) == "279037"


# Transactions commit here as in production: allauth announces a new authenticator
# app when its transaction commits, inside the request, and we record the step then.
@pytest.mark.django_db(transaction=True)
def test_staff_without_an_authenticator_set_one_up_before_the_admin_opens(
    client, staff_user
):
    response = log_in(client, staff_user)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert logged_in(client)

    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = client.get(response["Location"])
    assert response["Location"] == "/accounts/2fa/totp/activate/"

    reauthenticate = client.get("/accounts/2fa/totp/activate/", follow=True)
    assert "The admin needs two-factor authentication" in reauthenticate.text
    confirm_password(client, "/accounts/2fa/totp/activate/")
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200
    assert "The admin asks every staff account for a second step" in setup.text
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', setup.text)
    assert secret, setup.text

    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "Incorrect code." in wrong.text
    assert not Authenticator.objects.filter(user=staff_user).exists()

    code = totp_code(secret.group(1))
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    page = client.get("/accounts/2fa/recovery-codes/")
    assert "Continue to the admin" in page.text
    assert len(codes_on(page.text)) == 10

    # The code that activated the app was the second factor: the admin opens.
    admin = client.get("/admin/")
    assert admin.status_code == 200
    assert "Users, videos and moderation" in admin.text


def test_staff_with_an_authenticator_pass_its_step_at_login(client, staff_user):
    give_totp(staff_user)
    response = log_in(client, staff_user)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not logged_in(client)  # the password alone logs nobody in
    assert client.get("/admin/")["Location"].startswith("/admin/login/")

    step = client.get("/accounts/2fa/authenticate/")
    assert step.status_code == 200
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "Incorrect code." in wrong.text
    assert not logged_in(client)

    response = client.post(
        "/accounts/2fa/authenticate/", {"code": fresh_totp_code(TOTP_SECRET)}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert logged_in(client)
    assert client.get("/admin/").status_code == 200


def test_a_code_is_accepted_once(client, make_user, staff_user):
    give_totp(staff_user)
    code = fresh_totp_code(TOTP_SECRET)
    log_in(client, staff_user)
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    client.post("/accounts/logout/")

    log_in(client, staff_user)
    replay = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert replay.status_code == 200
    assert "Incorrect code." in replay.text
    assert not logged_in(client)


def test_a_recovery_code_opens_the_admin_once(client_for, client, staff_user):
    code, other = recovery_codes(client_for(staff_user))[:2]

    log_in(client, staff_user)
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    client.post("/accounts/logout/")

    log_in(client, staff_user)
    used = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert "Incorrect code." in used.text
    assert not logged_in(client)
    response = client.post("/accounts/2fa/authenticate/", {"code": other})
    assert response["Location"] == "/admin/"


def test_a_session_without_the_step_is_asked_for_a_code(client, staff_user):
    """A staff member logged in before their authenticator was set up elsewhere (or
    in a session that never passed a second factor) confirms a code to go on."""
    give_totp(staff_user)
    client.force_login(staff_user)
    response = client.get("/admin/videos/video/")
    assert response["Location"] == "/admin/login/?next=/admin/videos/video/"
    response = client.get(response["Location"])
    assert response["Location"] == (
        "/accounts/2fa/reauthenticate/?next=%2Fadmin%2Fvideos%2Fvideo%2F"
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    response = client.post(
        "/accounts/2fa/reauthenticate/",
        {"code": fresh_totp_code(TOTP_SECRET), "next": "/admin/videos/video/"},
    )
    assert response["Location"] == "/admin/videos/video/"
    assert client.get("/admin/videos/video/").status_code == 200


def test_a_second_factor_without_an_authenticator_app_is_not_enough(
    client_for, staff_user
):
    """Staff need the app itself: a session that passed some other step (a passkey)
    is sent to set one up once the app is gone."""
    client = client_for(staff_user)
    assert client.get("/admin/").status_code == 200
    Authenticator.objects.filter(user=staff_user).delete()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == (
        "/accounts/2fa/totp/activate/"
    )


def test_people_without_staff_log_in_as_before(client, user):
    response = log_in(client, user, next_url="/videos/")
    assert response["Location"] == "/videos/"
    assert logged_in(client)
    assert client.get("/videos/").status_code == 200


def test_the_staff_client_fixture_is_a_staff_session_past_the_step(
    staff_client, staff_user
):
    assert Authenticator.objects.filter(
        user=staff_user, type=Authenticator.Type.TOTP
    ).exists()
    assert staff_client.get("/admin/").status_code == 200
    pass_second_factor(staff_client, staff_user)  # twice changes nothing
    assert staff_client.get("/admin/accounts/user/").status_code == 200


def test_guessing_codes_is_throttled(client, staff_user):
    give_totp(staff_user)
    log_in(client, staff_user)
    for _ in range(5):
        wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
        assert "Incorrect code." in wrong.text
    right = client.post(
        "/accounts/2fa/authenticate/", {"code": fresh_totp_code(TOTP_SECRET)}
    )
    assert right.status_code == 200
    assert "Too many failed login attempts" in right.text
    assert not logged_in(client)


def test_passkeys_name_the_product_and_check_the_origin(rf):
    """Production keeps WebAuthn's origin check: fido2 accepts https, and
    http://localhost for development, without allauth's switch that turns it off."""
    from allauth.core import context
    from allauth.mfa import app_settings
    from allauth.mfa.adapter import get_adapter

    assert app_settings.PASSKEY_LOGIN_ENABLED
    assert not app_settings.WEBAUTHN_ALLOW_INSECURE_ORIGIN
    with context.request_context(rf.get("/", HTTP_HOST="localhost:8000")):
        entity = get_adapter().get_public_key_credential_rp_entity()
    assert entity == {"id": "localhost", "name": "Sora Studio"}
