"""Fixtures shared by every app's tests: users, logged-in clients, a clean cache.

Loaded as a pytest plugin (`-p accounts.tests.fixtures` in pytest.ini) so that the
videos app's tests get them too.
"""

import base64
import hashlib
import hmac
import itertools
import struct
import time

import pytest
from django.core.cache import cache
from django.http import HttpRequest
from django.test import Client

PASSWORD = "correct-horse-battery-staple-42"
# A fixed authenticator-app secret (base32) for staff in tests.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_emails = itertools.count(1)
_used_codes: dict[str, set[str]] = {}  # per test: codes the server has seen


def totp_code(secret: str, at: float | None = None) -> str:
    """The 6-digit code an authenticator app shows now (RFC 6238: HMAC-SHA1 over the
    30-second step), computed here rather than by allauth so the tests check it."""
    step = int((time.time() if at is None else at) // 30)
    digest = hmac.new(
        base64.b32decode(secret, casefold=True), struct.pack(">Q", step), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


STEP_END_MARGIN = 5.0
"""Seconds before a 30-second step ends in which no code is handed out: allauth checks
codes with no tolerance (MFA_TOTP_TOLERANCE 0), so a code typed as its step ends would
reach the server, on a busy machine, in the next step and be refused."""


def fresh_totp_code(secret: str) -> str:
    """A code no earlier step of this test used, with time to be checked in its own
    step: allauth accepts each code once, so a second login in the same 30 seconds
    waits for the next one."""
    used = _used_codes.setdefault(secret, set())
    while True:
        left = 30 - time.time() % 30
        if left < STEP_END_MARGIN:
            time.sleep(left + 0.1)
            continue
        code = totp_code(secret)
        if code not in used:
            break
        time.sleep(0.5)
    used.add(code)
    return code


def give_totp(user, secret: str = TOTP_SECRET):
    """Give `user` an authenticator app with `secret` and recovery codes, as
    activating one does; returns the app's authenticator."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    mine = Authenticator.objects.filter(user=user)
    if not mine.filter(type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)
    existing = mine.filter(type=Authenticator.Type.TOTP).first()
    return existing or TOTP.activate(user, secret).instance


def pass_second_factor(client: Client, user) -> None:
    """Record in the client's session that it passed the authenticator step, with
    allauth's own bookkeeping (what its two-factor step records)."""
    from allauth.account.internal.flows.login import record_authentication

    request = HttpRequest()
    request.session = client.session
    request.user = user
    record_authentication(request, user, "mfa", id=give_totp(user).pk, type="totp")
    request.session.save()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.3 s per login; tests check behaviour, not key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db):
    """Create a user with a unique email and the shared test password."""
    from allauth.account.models import EmailAddress

    from accounts.models import User

    def make(*, verified: bool = True, **fields) -> User:
        """`verified`: the login address is confirmed, as sign-up leaves it."""
        fields.setdefault("email", f"user{next(_emails)}@example.com")
        user = User.objects.create_user(password=PASSWORD, **fields)
        EmailAddress.objects.create(
            user=user, email=user.email, verified=verified, primary=True
        )
        return user

    return make


@pytest.fixture
def user(make_user):
    return make_user(name="Ada")


@pytest.fixture
def other_user(make_user):
    return make_user(name="Mallory")


@pytest.fixture
def staff_user(make_user):
    return make_user(name="Admin", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _forget_used_totp_codes():
    _used_codes.clear()


@pytest.fixture
def client_for():
    """A test client logged in as the given user; staff have passed the authenticator
    step too (the admin asks for it), with an authenticator app given if need be."""

    def make(user, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(user)
        if user.is_staff:
            pass_second_factor(client, user)
        return client

    return make


@pytest.fixture
def user_client(client_for, user) -> Client:
    return client_for(user)


@pytest.fixture
def staff_client(client_for, staff_user) -> Client:
    return client_for(staff_user)


# --- In a browser (Playwright pages from the `pages` fixture) ------------------------


def log_in_at_the_admin(page, user, password: str = PASSWORD) -> None:
    """Open the admin logged out: it sends us to the site's login; log in there."""
    page.goto("/admin/")
    page.wait_for_url("**/accounts/login/?next=%2Fadmin%2F")
    page.get_by_label("Email:").fill(user.email)
    page.get_by_label("Password:").fill(password)
    page.get_by_role("button", name="Sign In", exact=True).click()


def set_up_authenticator_app(page, password: str = PASSWORD) -> str:
    """On the way into the admin without an authenticator app: confirm the password,
    read the key off the setup page, enter the code it gives, and continue to the
    admin. Returns the key, as the person's app would keep it."""
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    page.get_by_text("The admin asks every staff account for a second step").wait_for()
    secret = page.get_by_label("Or type this key into the app:").input_value()
    page.get_by_label("Authenticator code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    page.get_by_role("link", name="Continue to the admin").click()
    page.wait_for_url("**/admin/")
    return secret


def log_in_to_admin(page, user, secret: str = TOTP_SECRET) -> None:
    """Log a staff member who has an authenticator app (`give_totp`) into the admin:
    the site's login, then the code from the app."""
    log_in_at_the_admin(page, user)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.get_by_label("Code from your authenticator app").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url("**/admin/")
